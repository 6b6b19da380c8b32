// Standing grants on a person's dashboard: the person's standing approvals for a class of their agent's actions,
// each with bounds, a count per day and an expiry; created, edited and revoked here (see docs/approvals.md, "Standing grants").

import { api, enc } from './api.js';
import { h, replace, field, badge, time } from './dom.js';
import { confirmDialog, errorState, statusLine, showFieldErrors } from './ui.js';

/** The action types a grant can cover, and the bounds of each (the hub checks them again). */
export const GRANT_TYPES = {
  send_email: { name: 'Send Email', bounds: { recipients: 'Recipients (addresses)', domains: 'Recipient domains' } },
  create_calendar_event: { name: 'Schedule Calendar Event', bounds: { recipients: 'Guests (addresses)', domains: 'Guest domains' } },
  create_notion_page: { name: 'Create Notion Page', bounds: { parents: 'Parent pages or databases (ids)' } },
  update_notion_page: { name: 'Edit Notion Page', bounds: { pages: 'Pages (ids)' } },
  update_attio_record: { name: 'Update Attio Record', bounds: { objects: 'Objects (people, companies, deals)', records: 'Records (ids, optional)' } },
  create_attio_note: { name: 'Create Attio Note', bounds: { objects: 'Objects (people, companies, deals)', records: 'Records (ids, optional)' } },
  create_attio_task: { name: 'Create Attio Task', bounds: {} },
  message_agent: { name: 'Message Another Agent', bounds: { agents: 'Agents (ids)' } },
  create_attio_record: { name: 'Create Attio Record', bounds: { objects: 'Objects (people, companies, deals)' } },
  complete_attio_task: { name: 'Complete Attio Task', bounds: {} },
  archive_notion_page: { name: 'Archive Notion Page', bounds: { pages: 'Pages (ids)' } },
  append_notion_blocks: { name: 'Append to Notion Page', bounds: { pages: 'Pages (ids)' } },
  send_gmail_draft: { name: 'Send Gmail Draft', bounds: { recipients: 'Recipients (addresses)', domains: 'Recipient domains' } },
};

/** The "Standing grants" panel of one agent's dashboard; read again when the agent's stream says a grant changed. */
export function grantsPanel(scope, stream, agent, asAdmin) {
  const list = h('div', { id: 'grants-list' });
  const status = statusLine();
  const whose = asAdmin ? `${agent.name || agent.agentId}'s agent` : 'your agent';

  // While a grant is being edited the list stays as it is (a refresh would replace the form).
  let editing = false;
  const poller = scope.poll(async () => {
    if (editing) {
      return;
    }

    let grants;
    try {
      grants = (await api(`/api/agents/${enc(agent.agentId)}/grants`)).data ?? [];
    } catch (error) {
      replace(list, errorState(error, 'Grants'));
      return;
    }

    const shown = grants.filter((g) => g.status === 'active').concat(grants.filter((g) => g.status !== 'active').slice(0, 5));
    replace(list, shown.length === 0
      ? h('p', { class: 'empty' }, 'No grants: every action waits for a decision.')
      : h('ul', { class: 'grants' }, shown.map((g) => grantItem(g))));
  }, 60000); // changes arrive on the stream; the slow poll only notices expiries
  stream.onSync(poller.refresh).on('grant', poller.refresh);

  const grantItem = (g) => h('li', { dataset: { grantId: g.grantId } },
    h('strong', {}, GRANT_TYPES[g.type]?.name ?? g.type), ' ', badge(g.status), ' ',
    h('span', { class: 'small muted' }, g.grantId),
    h('div', { class: 'small' },
      Object.entries(g.bounds ?? {}).map(([key, values]) => h('div', {}, `${key}: ${values.join(', ')}`)),
      h('div', {}, `${g.usedToday} of ${g.maxPerDay} used today · until `, time(g.expiresAt))),
    g.status === 'active' ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'small', onclick: (event) => edit(g, event.target.closest('li')) }, 'Edit'),
      h('button', { type: 'button', class: 'small danger', onclick: () => revoke(g) }, 'Revoke')) : null);

  // Edits a grant in place: its bounds, count and expiry (its type cannot change; the hub checks the company's ceiling again).
  const edit = (g, item) => {
    if (editing) {
      return;
    }

    editing = true;
    const inputs = {};
    const editFields = {};
    for (const [key, label] of Object.entries(GRANT_TYPES[g.type]?.bounds ?? {})) {
      inputs[key] = h('input', { type: 'text', name: `bounds.${key}`, value: (g.bounds?.[key] ?? []).join(', '), placeholder: 'comma-separated' });
      editFields[`bounds.${key}`] = field(label, inputs[key]);
    }

    const max = h('input', { type: 'number', name: 'maxPerDay', min: 1, max: 100, value: g.maxPerDay });
    const renew = h('input', { type: 'number', name: 'expiresInDays', min: 1, max: 90, placeholder: 'keep the expiry' });
    editFields.maxPerDay = field('At most per day', max);
    editFields.expiresInDays = field('Expire in days from now (empty keeps it)', renew);
    const close = () => { editing = false; poller.refresh(); };
    const form = h('form', { 'aria-label': `Edit grant ${g.grantId}`, novalidate: true },
      Object.values(editFields),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: close }, 'Cancel')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      Object.values(editFields).forEach((f) => f.setError(null));
      const body = { maxPerDay: Number(max.value) };
      if (Object.keys(inputs).length > 0) {
        body.bounds = {};
        for (const [key, input] of Object.entries(inputs)) {
          if (input.value.trim()) {
            body.bounds[key] = input.value.split(',').map((v) => v.trim()).filter(Boolean);
          }
        }
      }

      if (renew.value.trim()) {
        body.expiresInDays = Number(renew.value);
      }

      try {
        const { data } = await api(`/api/agents/${enc(agent.agentId)}/grants/${enc(g.grantId)}`, { method: 'PATCH', body });
        status.show('ok', `Grant ${g.grantId} changed${data.cancelledProposals ? `; ${data.cancelledProposals} held action(s) it no longer covers cancelled` : ''}.`);
        close();
      } catch (error) {
        if (error.status === 400) {
          const rest = showFieldErrors(error, editFields, ['']);
          status.show('error', rest.length ? rest.join(' ') : error.message);
        } else {
          status.show(error.status === 409 ? 'warn' : 'error', error.message);
          close();
        }
      }
    });
    item.append(form);
  };

  const revoke = async (g) => {
    const { ok } = await confirmDialog({
      title: 'Revoke this grant?',
      message: 'From now on every such action waits for a decision again; one held in its undo window is cancelled.',
      confirmText: 'Revoke',
    });
    if (!ok) {
      return;
    }

    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}/grants/${enc(g.grantId)}`, { method: 'DELETE' });
      status.show('ok', `Grant revoked${data.cancelledProposals ? `; ${data.cancelledProposals} held action(s) cancelled` : ''}.`);
    } catch (error) {
      status.show('error', `Not revoked: ${error.message}`);
    } finally {
      poller.refresh();
    }
  };

  // The form: the type decides which bounds are asked for.
  const type = h('select', { name: 'type' }, Object.entries(GRANT_TYPES).map(([value, t]) => h('option', { value }, t.name)));
  const boundsBox = h('div');
  const maxPerDay = h('input', { type: 'number', name: 'maxPerDay', min: 1, max: 100, value: 5 });
  const days = h('input', { type: 'number', name: 'expiresInDays', min: 1, max: 90, value: 7 });
  // Field name (as the hub's errors name it) → the field (with setError); bound name → its input.
  const fixed = { type: field('Action', type), maxPerDay: field('At most per day', maxPerDay), expiresInDays: field('For how many days (at most 90)', days) };
  let fields = {};
  let boundInputs = {};
  const renderBounds = () => {
    fields = { ...fixed };
    boundInputs = {};
    for (const [key, label] of Object.entries(GRANT_TYPES[type.value].bounds)) {
      boundInputs[key] = h('input', { type: 'text', name: `bounds.${key}`, placeholder: 'comma-separated' });
      fields[`bounds.${key}`] = field(label, boundInputs[key]);
    }

    replace(boundsBox, Object.keys(boundInputs).map((key) => fields[`bounds.${key}`]));
  };
  type.addEventListener('change', renderBounds);
  renderBounds();

  const form = h('form', { 'aria-label': 'New grant', novalidate: true },
    fixed.type, boundsBox, fixed.maxPerDay, fixed.expiresInDays,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', disabled: agent.status !== 'active' }, 'Grant')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    Object.values(fields).forEach((f) => f.setError(null));
    const bounds = {};
    for (const [key, input] of Object.entries(boundInputs)) {
      if (input.value.trim()) {
        bounds[key] = input.value.split(',').map((s) => s.trim()).filter(Boolean);
      }
    }

    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}/grants`, {
        method: 'POST',
        body: { type: type.value, bounds, maxPerDay: Number(maxPerDay.value), expiresInDays: Number(days.value) },
      });
      status.show('ok', `Grant ${data.grantId} created.`);
      Object.values(boundInputs).forEach((input) => { input.value = ''; });
    } catch (error) {
      if (error.status === 400) {
        const rest = showFieldErrors(error, fields, ['']);
        status.show('error', rest.length ? rest.join(' ') : error.message);
      } else {
        status.show('error', error.message);
      }
    } finally {
      poller.refresh();
    }
  });

  return h('section', { class: 'panel', 'aria-labelledby': 'grants-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'grants-h' }, 'Standing grants')),
    h('p', { class: 'small' }, `A grant lets ${whose} act without asking each time, only within its bounds and count. An email under a grant waits a few seconds, with Undo, before it goes. Replies to other agents always wait for a decision.`),
    list,
    h('details', {}, h('summary', {}, 'New grant'), form),
    status);
}
