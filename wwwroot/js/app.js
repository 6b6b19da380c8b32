// The dashboard's entry point: who is signed in (GET /api/me, by the session cookie that the ?token= link set)
// decides what is shown — the person's own agent page, or for the admin the admin sections (#/agents, ...) and
// any agent's page at /?agent=<id>. A missing or expired link gets a page that says how to get a new one.

import { api, onUnauthorized } from './api.js';
import { h, replace, notice } from './dom.js';
import { Scope } from './ui.js';
import { renderPerson } from './person.js';
import { ADMIN_SECTIONS, renderAdmin } from './admin/index.js';

const main = document.getElementById('main');
const who = document.getElementById('who');
const nav = document.getElementById('nav');
let scope = new Scope();
let signedOut = false;

function showSignedOut(error) {
  if (signedOut) {
    return;
  }

  signedOut = true;
  document.body.dataset.signedOut = 'true';
  scope.dispose();
  nav.hidden = true;
  who.textContent = '';
  document.title = 'Link missing or expired · Company Hub';
  const tooMany = error?.status === 429;
  replace(main,
    h('div', { class: 'card narrow' },
      h('h1', {}, tooMany ? 'Too many attempts' : 'Your dashboard link is missing or has expired'),
      tooMany
        ? h('p', {}, 'Too many failed sign-in attempts came from this address. Wait a few minutes, then open your link again.')
        : [
          h('p', {}, 'This page needs your private dashboard link (it looks like https://…/?token=…). Open the newest link you were sent.'),
          h('p', {}, 'Links stop working when a newer one is made (token rotation) or when the agent is offboarded. If you do not have a working link, ask your admin for a new one.'),
        ]));
  main.focus();
}

function fatal(error) {
  replace(main, notice('error', 'The dashboard could not start', h('p', {}, error.message ?? String(error)), h('p', {}, h('a', { href: location.pathname + location.search }, 'Try again'))));
}

async function boot() {
  let me;
  try {
    me = (await api('/api/me')).data;
  } catch (error) {
    if (error.status === 401 || error.status === 429) {
      showSignedOut(error);
    } else {
      fatal(error);
    }

    return;
  }

  onUnauthorized(showSignedOut);
  const params = new URLSearchParams(location.search);
  if (me.role === 'admin') {
    who.textContent = 'Signed in as the admin';
    const agentId = params.get('agent');
    if (agentId) {
      renderPerson(main, scope, agentId, { asAdmin: true });
      renderNav(null);
      return;
    }

    const route = () => {
      if (!location.hash.startsWith('#/') && main.dataset.section) {
        return; // e.g. the skip link (#main): keep the current view
      }

      scope.dispose();
      scope = new Scope();
      const section = renderAdmin(main, scope, location.hash);
      renderNav(section);
    };
    window.addEventListener('hashchange', route);
    route();
    return;
  }

  who.textContent = `Signed in as ${me.agentId}`;
  nav.hidden = true;
  const view = h('div');
  let adminOnly = null;
  if (location.hash.startsWith('#/') || params.has('agent')) {
    // An admin address opened with a person's token: say so instead of showing an admin page.
    adminOnly = h('div', { class: 'notice warn', role: 'alert', id: 'admin-only' },
      h('strong', { class: 'title' }, 'The admin pages need the admin link.'),
      h('p', {}, 'This is your own dashboard.'));
    history.replaceState(null, '', location.pathname);
  }

  replace(main, adminOnly, view);
  renderPerson(view, scope, me.agentId, { asAdmin: false });
}

function renderNav(current) {
  nav.hidden = false;
  replace(nav, ADMIN_SECTIONS.map((s) => h('a', { href: `/#/${s.id}`, 'aria-current': s.id === current ? 'page' : null }, s.title)));
}

boot().catch(fatal);
