// Admin › Grants: every standing grant in the company (agent, type, bounds, use today, expiry, status) with Revoke,
// and the company's ceiling per type (view, set, clear). Read again when the admin stream says a grant changed
// (see docs/approvals.md, "Standing grants").

import { api, enc } from '../api.js';
import { h, replace, badge, time, field } from '../dom.js';
import { confirmDialog, errorState, liveStream, statusLine, showFieldErrors } from '../ui.js';
import { GRANT_TYPES } from '../grants.js';

const list = (values) => values.split(',').map((s) => s.trim()).filter(Boolean);

export function renderGrants(main, scope) {
  const table = h('div', { class: 'table-wrap', id: 'admin-grants' });
  const ceilingsBox = h('div', { id: 'grant-ceilings' });
  const status = statusLine();
  status.id = 'grants-status';
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Grants')),
    h('p', { class: 'small' }, 'Standing grants let a person\'s agent act without asking, within bounds and a count per day. A ceiling caps every grant of its type, existing ones included.'),
    status,
    h('section', { class: 'panel', 'aria-labelledby': 'grants-all-h' }, h('h2', { id: 'grants-all-h' }, 'Every grant'), table),
    h('section', { class: 'panel', 'aria-labelledby': 'ceilings-h' }, h('h2', { id: 'ceilings-h' }, 'Company ceilings'), ceilingsBox));

  const grants = scope.poll(async () => {
    let all;
    try {
      all = (await api('/api/admin/grants')).data ?? [];
    } catch (error) {
      replace(table, errorState(error, 'Grants'));
      return;
    }

    replace(table, all.length === 0 ? h('p', { class: 'empty' }, 'No grants yet: every action of every agent waits for a decision.') : h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Every standing grant'),
      h('thead', {}, h('tr', {},
        ['Agent', 'Action', 'Bounds', 'Used today', 'Expires', 'Status'].map((t) => h('th', { scope: 'col' }, t)),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, all.map(({ agentId, grant: g }) => h('tr', { dataset: { grantId: g.grantId, agentId } },
        h('td', {}, h('a', { href: `/?agent=${enc(agentId)}` }, agentId)),
        h('td', {}, GRANT_TYPES[g.type]?.name ?? g.type, h('div', { class: 'small muted mono' }, g.grantId)),
        h('td', { class: 'small' }, Object.keys(g.bounds ?? {}).length === 0 ? h('span', { class: 'muted' }, 'count only')
          : Object.entries(g.bounds).map(([key, values]) => h('div', {}, `${key}: ${values.join(', ')}`))),
        h('td', {}, `${g.usedToday} / ${g.maxPerDay}`),
        h('td', { class: 'nowrap' }, time(g.expiresAt)),
        h('td', {}, badge(g.status)),
        h('td', {}, g.status === 'active'
          ? h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke grant ${g.grantId}`, onclick: () => revoke(agentId, g) }, 'Revoke')
          : null))))));
  }, 60000);

  const ceilings = scope.poll(async () => {
    let current;
    try {
      current = (await api('/api/admin/grant-ceilings')).data ?? [];
    } catch (error) {
      replace(ceilingsBox, errorState(error, 'Ceilings'));
      return;
    }

    replace(ceilingsBox, h('ul', { class: 'grants' }, Object.keys(GRANT_TYPES).map((type) => ceilingItem(type, current.find((c) => c.type === type)))));
  }, null);

  liveStream(scope, '/api/admin/events').onSync(grants.refresh).on('grant', grants.refresh).on('agent', grants.refresh);

  async function revoke(agentId, g) {
    const { ok } = await confirmDialog({ title: `Revoke grant ${g.grantId} of ${agentId}?`, message: 'Its actions wait for a decision again; one held in its undo window is cancelled.', confirmText: 'Revoke', danger: true });
    if (!ok) {
      return;
    }

    try {
      const { data } = await api(`/api/agents/${enc(agentId)}/grants/${enc(g.grantId)}`, { method: 'DELETE' });
      status.show('ok', `Grant ${g.grantId} revoked${data.cancelledProposals ? `; ${data.cancelledProposals} held action(s) cancelled` : ''}.`);
    } catch (error) {
      status.show('error', `Not revoked: ${error.message}`);
    } finally {
      grants.refresh();
    }
  }

  /** One type's ceiling: what it is, and a form to set or clear it. */
  function ceilingItem(type, ceiling) {
    const allowed = h('select', { name: 'allowed' }, h('option', { value: 'true' }, 'allowed within the bounds below'), h('option', { value: 'false' }, 'no grants of this type'));
    allowed.value = ceiling && !ceiling.allowed ? 'false' : 'true';
    const inputs = {};
    const fields = { allowed: field('Grants', allowed) };
    for (const [key, label] of Object.entries(GRANT_TYPES[type].bounds)) {
      inputs[key] = h('input', { type: 'text', name: `bounds.${key}`, value: (ceiling?.bounds?.[key] ?? []).join(', '), placeholder: 'any (comma-separated)' });
      fields[`bounds.${key}`] = field(label, inputs[key]);
    }

    const max = h('input', { type: 'number', name: 'maxPerDay', min: 1, max: 100, value: ceiling?.maxPerDay ?? '', placeholder: 'any' });
    fields.maxPerDay = field('At most per day', max);
    const form = h('form', { 'aria-label': `Ceiling for ${type}`, novalidate: true },
      Object.values(fields),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Set ceiling'),
        ceiling ? h('button', { type: 'button', onclick: () => clear(type) }, 'Clear ceiling') : null));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      Object.values(fields).forEach((f) => f.setError(null));
      const body = { allowed: allowed.value === 'true', bounds: {} };
      for (const [key, input] of Object.entries(inputs)) {
        if (input.value.trim()) {
          body.bounds[key] = list(input.value);
        }
      }

      if (max.value.trim()) {
        body.maxPerDay = Number(max.value);
      }

      try {
        await api(`/api/admin/grant-ceilings/${enc(type)}`, { method: 'PUT', body });
        status.show('ok', `Ceiling for ${type} set.`);
        ceilings.refresh();
      } catch (error) {
        const rest = error.status === 400 ? showFieldErrors(error, fields, ['']) : [error.message];
        status.show('error', rest.length ? rest.join(' ') : error.message);
      }
    });

    const summary = !ceiling ? 'no ceiling'
      : !ceiling.allowed ? 'no grants allowed'
      : [Object.entries(ceiling.bounds ?? {}).map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ') || 'any bounds', ceiling.maxPerDay ? `at most ${ceiling.maxPerDay} a day` : 'any count'].join(' · ');
    return h('li', { dataset: { ceilingType: type } },
      h('details', {}, h('summary', {}, h('strong', {}, GRANT_TYPES[type].name), ' ', h('span', { class: 'small ceiling-summary' }, summary)), form));
  }

  async function clear(type) {
    try {
      await api(`/api/admin/grant-ceilings/${enc(type)}`, { method: 'DELETE' });
      status.show('ok', `Ceiling for ${type} cleared.`);
    } catch (error) {
      status.show('error', error.message);
    } finally {
      ceilings.refresh();
    }
  }
}
