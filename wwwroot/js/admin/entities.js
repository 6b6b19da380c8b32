// Admin › Entities: durable entities (agents, the directory, invites...) with their state, from the management API.
// Values of secret-looking fields (token hashes, sealed secrets) are masked on screen.

import { api, query, MANAGEMENT } from '../api.js';
import { h, replace, field, time, json } from '../dom.js';
import { errorState } from '../ui.js';
import { hashFor } from './index.js';

const KNOWN = ['agent', 'directory', 'invite', 'oauthstate'];

export function renderEntities(main, scope, params) {
  const name = params.get('name') ?? '';
  const search = params.get('q') ?? '';
  const nameSelect = h('select', { name: 'name' },
    h('option', { value: '' }, 'All'),
    KNOWN.map((n) => h('option', { value: n, selected: n === name }, n)));
  const searchInput = h('input', { type: 'search', name: 'q', value: search, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'inline-form', 'aria-label': 'Filter entities' },
    field('Entity name', nameSelect), field('Key contains', searchInput),
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Apply')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hashFor('entities', { name: nameSelect.value, q: searchInput.value.trim() });
  });
  const list = h('div', { id: 'entities-list' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Entities')),
    h('section', { class: 'panel', 'aria-label': 'Filters' }, form),
    h('section', { class: 'panel', 'aria-label': 'Entities' }, list, pager));

  const tokens = [null];
  let page = 0;
  const open = new Set();
  const poller = scope.poll(async () => {
    const needle = search.toLowerCase();
    const items = [];
    try {
      // A key search reads every page (the API filters by name only); otherwise one page of 50 at a time.
      let token = tokens[page];
      for (let read = 0; read < (needle ? 40 : 1); read++) {
        const result = await api(`${MANAGEMENT}/entities${name ? `/${encodeURIComponent(name)}` : ''}${query({ fetchState: true, top: 50 })}`,
          { headers: token ? { 'x-ms-continuation-token': token } : {} });
        items.push(...(result.data ?? []).filter((e) => !needle || e.entityId.key.toLowerCase().includes(needle)));
        token = result.headers.get('x-ms-continuation-token');
        if (!token) {
          break;
        }
      }

      tokens[page + 1] = needle ? null : token;
    } catch (error) {
      replace(list, errorState(error, 'Entities'));
      return;
    }

    replace(list, items.length === 0 ? h('p', { class: 'empty' }, 'No entity matches.') : h('ul', { class: 'history' }, items.map((e) => {
      const id = `@${e.entityId.name}@${e.entityId.key}`;
      const details = h('details', { open: open.has(id) },
        h('summary', {}, h('strong', { class: 'mono' }, e.entityId.name), ' ', h('span', { class: 'mono' }, e.entityId.key)),
        json(e.state, { mask: true, label: `State of ${id}` }));
      details.addEventListener('toggle', () => (details.open ? open.add(id) : open.delete(id)));
      return h('li', { dataset: { entity: id } },
        details,
        h('span', { class: 'small muted nowrap' }, 'last operation ', time(e.lastOperationTime, { relative: true }), e.backlogQueueSize ? ` · ${e.backlogQueueSize} queued` : ''));
    })));
    replace(pager,
      h('button', { type: 'button', class: 'small', disabled: page === 0, onclick: () => { page--; poller.refresh(); } }, '← Previous'),
      h('span', { class: 'small' }, `Page ${page + 1}`),
      h('button', { type: 'button', class: 'small', disabled: !tokens[page + 1], onclick: () => { page++; poller.refresh(); } }, 'Next →'));
  }, 15000);
}
