// Admin › Audit log: who did what, when, to which agent; filters by agent, action, time.

import { api, query } from '../api.js';
import { h, replace, field, time, isoToLocal, localToIso } from '../dom.js';
import { errorState } from '../ui.js';
import { hashFor } from './index.js';

export function renderAudit(main, scope, params) {
  const f = {
    agentId: params.get('agentId') ?? '',
    action: params.get('action') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    top: [50, 100, 500].includes(Number(params.get('top'))) ? Number(params.get('top')) : 100,
  };
  const agentSelect = h('select', { name: 'agentId' }, h('option', { value: '' }, 'All agents'));
  const action = h('input', { type: 'text', name: 'action', value: f.action, list: 'audit-actions', autocomplete: 'off', placeholder: 'proposal.' });
  const actions = h('datalist', { id: 'audit-actions' }, ['proposal.', 'onboarding.', 'agent.', 'token.', 'broadcast.'].map((a) => h('option', { value: a })));
  const from = h('input', { type: 'datetime-local', name: 'from', value: isoToLocal(f.from) });
  const to = h('input', { type: 'datetime-local', name: 'to', value: isoToLocal(f.to) });
  const top = h('select', { name: 'top' }, [50, 100, 500].map((n) => h('option', { value: String(n), selected: n === f.top }, String(n))));
  const form = h('form', { class: 'filters', 'aria-label': 'Filter the audit log' },
    field('Agent', agentSelect), field('Action starts with', action), actions,
    field('From', from), field('To', to), field('Entries', top),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply'), h('a', { class: 'button', href: '#/audit' }, 'Reset')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hashFor('audit', { agentId: agentSelect.value, action: action.value.trim(), from: localToIso(from.value), to: localToIso(to.value), top: top.value === '100' ? '' : top.value });
  });
  const list = h('div', { class: 'table-wrap', id: 'audit-list' });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit log')),
    h('section', { class: 'panel', 'aria-label': 'Filters' }, form),
    h('section', { class: 'panel', 'aria-label': 'Entries' }, list));

  api('/api/agents').then(({ data }) => {
    for (const a of data ?? []) {
      agentSelect.append(h('option', { value: a.agentId, selected: a.agentId === f.agentId }, `${a.name || a.agentId} (${a.agentId})`));
    }
  }).catch(() => {});

  scope.poll(async () => {
    try {
      const { data } = await api(`/api/admin/audit${query({ agentId: f.agentId, action: f.action, from: f.from, to: f.to, top: f.top })}`);
      const items = data ?? [];
      replace(list, items.length === 0 ? h('p', { class: 'empty' }, 'No audit entries match.') : h('table', { id: 'audit-table' },
        h('caption', { class: 'visually-hidden' }, 'Audit entries, newest first'),
        h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Agent', 'Target', 'Detail', 'Outcome'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, items.map((a) => h('tr', {},
          h('td', { class: 'nowrap' }, time(a.at)),
          h('td', {}, a.actor),
          h('td', { class: 'mono small' }, a.action),
          h('td', {}, a.agentId ? h('a', { href: `/?agent=${encodeURIComponent(a.agentId)}` }, a.agentId) : '—'),
          h('td', { class: 'wrap mono small' }, a.target ?? ''),
          h('td', { class: 'wrap' }, a.detail ?? ''),
          h('td', {}, a.outcome))))));
    } catch (error) {
      replace(list, errorState(error, 'The audit log'),
        error.missing ? h('p', { class: 'small' }, 'Each agent\'s own activity is on its page (Agents › Open › Activity).') : null);
    }
  }, 30000);
}
