// Admin › Broadcast: one message to every active agent.

import { api } from '../api.js';
import { h, replace, field } from '../dom.js';
import { confirmDialog, statusLine, showFieldErrors } from '../ui.js';

export function renderBroadcast(main) {
  const text = h('textarea', { name: 'text', rows: 5, required: true, maxlength: 20000 });
  const fields = { text: field('Message', text, 'Every active agent receives it and tells its person.') };
  const status = statusLine();
  status.id = 'broadcast-status';
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send to all agents');
  const form = h('form', { 'aria-label': 'Broadcast a message' }, fields.text, h('div', { class: 'actions' }, send), status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFieldErrors(null, fields);
    if (!text.value.trim()) {
      fields.text.setError('Write the message first.');
      return;
    }

    const { ok } = await confirmDialog({ title: 'Send to every agent?', message: text.value.trim().slice(0, 300), confirmText: 'Send' });
    if (!ok) {
      return;
    }

    send.disabled = true;
    try {
      const { data } = await api('/api/admin/broadcast', { method: 'POST', body: { text: text.value.trim() } });
      status.show('ok', `Sent to ${Array.isArray(data?.agents) ? data.agents.length : data?.agents ?? 'all'} agent(s). Broadcast ${data?.broadcastId ?? ''}.`);
      form.reset();
    } catch (error) {
      const rest = showFieldErrors(error, fields);
      status.show(error.missing ? 'warn' : 'error', rest.length ? rest.join(' ') : error.message);
    } finally {
      send.disabled = false;
    }
  });
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Broadcast')),
    h('section', { class: 'panel', 'aria-label': 'Broadcast' }, form));
}
