// Admin › Knowledge: the company knowledge base every agent searches (search_knowledge). Pages written here (text
// or Markdown), pages synced from a Notion database (each sync a durable orchestration: its progress shown here while it
// runs), a search box that runs the agents' search.

import { api, enc } from '../api.js';
import { h, replace, field, time, badge } from '../dom.js';
import { confirmDialog, errorState, statusLine, showFieldErrors } from '../ui.js';

export function renderKnowledge(main, scope) {
  const list = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const status = statusLine();
  status.id = 'knowledge-status';

  async function load() {
    try {
      const pages = (await api('/api/admin/knowledge')).data ?? [];
      replace(list, pages.length === 0 ? h('p', { class: 'empty' }, 'No pages yet.') : h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Title'), h('th', {}, 'Source'), h('th', {}, 'Length'), h('th', {}, 'Updated'), h('th', {}, ''))),
        h('tbody', {}, pages.map((p) => h('tr', {},
          h('td', { class: 'wrap' }, p.title),
          h('td', {}, p.source === 'notion' ? `Notion (${p.sourceParent})` : 'written here'),
          h('td', {}, String(p.length)),
          h('td', { class: 'nowrap' }, time(p.updatedAt)),
          h('td', {},
            p.source === 'manual' ? h('button', { type: 'button', onclick: () => edit(p.id) }, 'Edit') : null, ' ',
            h('button', { type: 'button', class: 'danger', onclick: () => remove(p) }, 'Delete'))))))));
    } catch (error) {
      replace(list, errorState(error, 'Knowledge'));
    }
  }

  // The editor: a new page, or the page being edited.
  let editing = null;
  const title = h('input', { type: 'text', name: 'title', maxlength: 200, required: true });
  const body = h('textarea', { name: 'body', rows: 10, maxlength: 100000 });
  const fields = { title: field('Title', title), body: field('Text (Markdown welcome)', body, 'At most 100,000 characters.') };
  const save = h('button', { type: 'submit', class: 'primary' }, 'Add page');
  const cancel = h('button', { type: 'button', hidden: true }, 'Cancel');
  const form = h('form', { 'aria-label': 'Knowledge page' }, fields.title, fields.body, h('div', { class: 'actions' }, save, cancel));
  function reset() {
    editing = null;
    form.reset();
    save.textContent = 'Add page';
    cancel.hidden = true;
  }

  cancel.addEventListener('click', reset);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFieldErrors(null, fields);
    save.disabled = true;
    try {
      await api(editing ? `/api/admin/knowledge/${enc(editing)}` : '/api/admin/knowledge', { method: editing ? 'PUT' : 'POST', body: { title: title.value, body: body.value } });
      status.show('ok', editing ? 'Page saved.' : 'Page added.');
      reset();
      await load();
    } catch (error) {
      const rest = showFieldErrors(error, fields);
      status.show('error', rest.length ? rest.join(' ') : error.message);
    } finally {
      save.disabled = false;
    }
  });

  async function edit(id) {
    try {
      const page = (await api(`/api/admin/knowledge/${enc(id)}`)).data;
      editing = id;
      title.value = page.title;
      body.value = page.body;
      save.textContent = 'Save page';
      cancel.hidden = false;
      title.focus();
    } catch (error) {
      status.show('error', error.message);
    }
  }

  async function remove(page) {
    const { ok } = await confirmDialog({ title: `Delete "${page.title}"?`, message: page.source === 'notion' ? 'It comes back at the next sync unless it is removed from its Notion database.' : 'Agents can no longer find it.', confirmText: 'Delete', danger: true });
    if (!ok) {
      return;
    }

    try {
      await api(`/api/admin/knowledge/${enc(page.id)}`, { method: 'DELETE' });
      status.show('ok', 'Page deleted.');
      await load();
    } catch (error) {
      status.show('error', error.message);
    }
  }

  // Sync a Notion database now: the sync runs in the background; its progress shows in the table below.
  const database = h('input', { type: 'text', name: 'databaseId', maxlength: 200, placeholder: 'Notion database id or URL (empty: KNOWLEDGE_NOTION_DATABASE_ID)' });
  const syncFields = { databaseId: field('Notion database', database, 'Its pages are copied in; changed ones replaced, deleted or archived ones removed. Also hourly when KNOWLEDGE_NOTION_DATABASE_ID is set.') };
  const syncButton = h('button', { type: 'submit' }, 'Sync now');
  const syncForm = h('form', { 'aria-label': 'Sync a Notion database' }, syncFields.databaseId, h('div', { class: 'actions' }, syncButton));
  const syncs = h('div', { id: 'knowledge-syncs' });
  let running = false;
  let wasRunning = false;
  const syncPoll = scope.poll(async () => {
    try {
      const list = (await api('/api/admin/knowledge/sync')).data ?? [];
      running = list.some((x) => x.status === 'running');
      replace(syncs, list.length === 0 ? h('p', { class: 'empty' }, 'No Notion database synced yet.') : h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Notion database', 'Status', 'By', 'Started', 'Finished', 'Pages seen', 'Added', 'Updated', 'Removed', 'Retries', 'Last error'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, list.map((x) => h('tr', {},
          h('td', { class: 'mono' }, x.databaseId),
          h('td', {}, badge(x.status === 'completed' ? 'ok' : x.status === 'failed' ? 'bad' : 'warn', x.status)),
          h('td', {}, x.by ?? ''),
          h('td', { class: 'nowrap' }, time(x.startedAt)),
          h('td', { class: 'nowrap' }, x.finishedAt ? time(x.finishedAt) : ''),
          h('td', {}, String(x.seen)),
          h('td', {}, String(x.added)),
          h('td', {}, String(x.updated)),
          h('td', {}, String(x.removed)),
          h('td', {}, String(x.retries)),
          h('td', { class: 'wrap small' }, x.lastError ?? '')))))));
      if (wasRunning && !running) {
        await load();
      }

      wasRunning = running;
    } catch (error) {
      replace(syncs, errorState(error, 'The syncs'));
    }
  }, () => (running ? 1000 : 15000));

  syncForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFieldErrors(null, syncFields);
    syncButton.disabled = true;
    try {
      const r = (await api('/api/admin/knowledge/sync', { method: 'POST', body: database.value.trim() ? { databaseId: database.value.trim() } : {} })).data;
      status.show('ok', r.started ? `Sync of ${r.sync.databaseId} started.` : `A sync of ${r.sync.databaseId} is already running.`);
      // The pages are read again once the table sees no sync running, however fast this one was.
      wasRunning = true;
      syncPoll.refresh();
    } catch (error) {
      const rest = showFieldErrors(error, syncFields);
      status.show('error', rest.length ? rest.join(' ') : error.message);
    } finally {
      syncButton.disabled = false;
    }
  });

  // The agents' search.
  const query = h('input', { type: 'search', name: 'q', placeholder: 'Words to search for' });
  const results = h('div');
  const searchForm = h('form', { role: 'search', 'aria-label': 'Search the knowledge base' }, field('Search as the agents do', query), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Search')), results);
  searchForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const hits = (await api(`/api/admin/knowledge?q=${enc(query.value)}&top=10`)).data ?? [];
      replace(results, hits.length === 0 ? h('p', { class: 'empty' }, 'Nothing found.') : h('ol', {}, hits.map((x) => h('li', {}, h('strong', {}, x.title), h('p', { class: 'small wrap' }, x.snippet)))));
    } catch (error) {
      replace(results, errorState(error, 'Search'));
    }
  });

  load();
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Knowledge')),
    h('p', { class: 'small' }, 'Every agent can search these pages (search_knowledge) and read them. Only you can change them.'),
    status,
    h('section', { class: 'panel', 'aria-label': 'Pages' }, list),
    h('section', { class: 'panel', 'aria-label': 'Add or edit a page' }, form),
    h('section', { class: 'panel', 'aria-label': 'Notion sync' }, syncForm, syncs),
    h('section', { class: 'panel', 'aria-label': 'Search' }, searchForm));
}
