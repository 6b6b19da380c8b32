// Admin › Health: the store, queue depths, failed and dead-lettered work, which credentials are configured, whether the
// development sign-in is offered (loudly when beyond loopback), backups.

import { api, query, MANAGEMENT } from '../api.js';
import { h, replace, time, json, badge, notice } from '../dom.js';
import { errorState } from '../ui.js';
import { backupsPanel } from './backups.js';

const CREDENTIALS = { llm: 'LLM (REDPILL_API_KEY)', google: 'Google OAuth', notion: 'Notion', attio: 'Attio CRM', senderAccount: 'Invite sender account' };

export function renderHealth(main, scope) {
  const probes = h('div', { class: 'tiles', id: 'probes' });
  const body = h('div', { id: 'health' });
  const dead = h('div', { id: 'dead-letters' });
  const backups = h('div', { id: 'backups' });
  const refreshBackups = backupsPanel(backups);
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Health'), h('span', { class: 'small muted', id: 'health-updated' })),
    probes,
    h('section', { class: 'panel', 'aria-labelledby': 'health-h' }, h('h2', { id: 'health-h' }, 'Hub'), body),
    h('section', { class: 'panel', 'aria-labelledby': 'backups-h' }, h('h2', { id: 'backups-h' }, 'Backups'), backups),
    h('section', { class: 'panel', 'aria-labelledby': 'dead-h' }, h('h2', { id: 'dead-h' }, 'Dead-lettered work'), dead));

  scope.poll(async () => {
    replace(probes, await probe('/healthz', 'Process'), await probe('/readyz', 'Store ready'),
      ...await Promise.all(['Failed', 'Running', 'Suspended'].map((st) => countTile(st))));
    document.getElementById('health-updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    try {
      const { data } = await api('/api/admin/health');
      renderReport(body, data);
    } catch (error) {
      replace(body, errorState(error, 'The health report'));
    }

    await refreshBackups();
    try {
      const { data } = await api(`/api/admin/dead-letters${query({ top: 50 })}`);
      const items = Array.isArray(data) ? data : data?.items ?? [];
      replace(dead, items.length === 0 ? h('p', { class: 'empty' }, 'No dead-lettered work.') : h('ul', { class: 'history' }, items.map((d) => h('li', {},
        h('span', {}, h('strong', { class: 'mono' }, d.instanceId ?? d.id ?? ''), ' ', d.kind ?? ''),
        h('span', { class: 'nowrap' }, time(d.deadLetteredAt ?? d.at)),
        h('span', { class: 'outcome' }, d.reason ?? JSON.stringify(d))))));
    } catch (error) {
      replace(dead, errorState(error, 'Dead letters'));
    }
  }, 10000);
}

async function probe(path, label) {
  let ok = false;
  let text;
  try {
    const response = await fetch(path, { cache: 'no-store' });
    ok = response.ok;
    text = ok ? 'OK' : `${response.status}`;
  } catch {
    text = 'unreachable';
  }

  return h('div', { class: 'tile' }, h('span', { class: 'label' }, `${label} (${path})`), h('span', { class: 'value' }, badge(ok ? 'ok' : 'bad', text)));
}

/** Orchestrations in one runtime status (from the management API), linking to the monitor. */
async function countTile(status) {
  let text;
  try {
    const { data, headers } = await api(`${MANAGEMENT}/instances${query({ runtimeStatus: status, top: 500 })}`);
    text = `${data.length}${headers.get('x-ms-continuation-token') ? '+' : ''}`;
  } catch (error) {
    text = error.missing ? 'n/a' : '?';
  }

  return h('div', { class: 'tile', dataset: { status } },
    h('span', { class: 'label' }, h('a', { href: `#/orchestrations?status=${status}&range=all` }, `${status} orchestrations`)),
    h('span', { class: 'value' }, text));
}

function tile(label, value) {
  return h('div', { class: 'tile' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value === undefined || value === null ? '—' : String(value)));
}

function renderReport(container, r) {
  const queues = r?.queues ?? {};
  const credentials = r?.credentials ?? {};
  const instances = r?.instances;
  const devSignIn = r?.devSignIn;
  replace(container,
    devSignIn?.beyondLoopback
      ? h('div', { id: 'dev-sign-in-warning' }, notice('error', 'Development sign-in is on beyond loopback',
        h('p', {}, 'Anyone who reaches this hub can complete an invite by typing its email address. Configure Google sign-in, or set Auth__DevSignIn=false.'),
        h('p', { class: 'small' }, devSignIn.description)))
      : null,
    h('div', { class: 'tiles' },
      tile('Store', typeof r?.store === 'object' ? (r.store.status ?? r.store.provider ?? 'ok') : r?.store),
      tile('Pending messages', queues.pendingMessages),
      tile('Pending activities', queues.pendingActivities),
      tile('Locked instances', queues.lockedInstances),
      tile('Dead-lettered', typeof r?.deadLetters === 'object' ? r.deadLetters?.count : r?.deadLetters),
      tile('Waiting for another build', r?.deferred?.instances ?? 0)),
    r?.deferred?.last
      ? h('p', { id: 'deferred-work', class: 'small' }, `Work this build cannot run (left for a build that can, never failed): ${r.deferred.steps} steps since start; last: ${r.deferred.last}`)
      : null,
    instances && typeof instances === 'object'
      ? h('div', {}, h('h3', {}, 'Instances by status'), h('div', { class: 'tiles' }, Object.entries(instances).map(([k, v]) => tile(k, v))))
      : null,
    h('h3', {}, 'Sign-in'),
    h('p', { id: 'dev-sign-in' }, 'Development sign-in: ', devSignIn === undefined || devSignIn === null
      ? h('span', { class: 'muted' }, 'not reported')
      : [badge(devSignIn.beyondLoopback ? 'bad' : devSignIn.enabled ? 'warn' : 'ok', devSignIn.beyondLoopback ? 'ON beyond loopback' : devSignIn.enabled ? 'on (loopback only)' : 'off'), ' ', h('span', { class: 'muted' }, `(${devSignIn.why})`)]),
    h('h3', {}, 'Credentials'),
    h('table', { id: 'credentials' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Credential'), h('th', { scope: 'col' }, 'Configured'))),
      h('tbody', {}, Object.entries({ ...Object.fromEntries(Object.keys(CREDENTIALS).map((k) => [k, undefined])), ...credentials }).map(([k, v]) => h('tr', {},
        h('td', {}, CREDENTIALS[k] ?? k),
        h('td', {}, v === undefined ? h('span', { class: 'muted' }, 'not reported') : badge(v === true || v?.configured ? 'ok' : 'bad', v === true || v?.configured ? 'configured' : (typeof v === 'string' ? v : 'not configured'))))))),
    h('details', {}, h('summary', {}, 'Raw report'), json(r, { mask: true })));
}
