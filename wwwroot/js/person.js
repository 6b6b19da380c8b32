// A person's dashboard: their agent, the conversation, the proposals waiting for a decision (the Action Proposal
// card with Approve / Edit / Reject), decided proposals, the inbox of peer messages and "get a new link".
// The admin sees the same page for any agent at /?agent=<id>. Changes arrive on the agent's event stream
// (GET /api/agents/{id}/events): no timers; each panel re-reads what an event names, and everything when the stream
// (re)opens.

import { api, enc, ApiError } from './api.js';
import { h, append, replace, field, badge, time, notice, secretLink } from './dom.js';
import { markdown } from './markdown.js';
import { confirmDialog, errorState, statusLine, showFieldErrors, liveStream } from './ui.js';
import { grantsPanel } from './grants.js';
import { personaPanel, memoryPanel } from './persona.js';

const OPEN = new Set(['pending', 'held', 'executing']);
const LONG_FIELDS = new Set(['body', 'text', 'content', 'description', 'appendText']);
const INTERNAL_FIELDS = new Set(['hops']);
// Fields the person cannot change on a type: an answer to another agent goes to that agent, about its question.
const FIXED_FIELDS = { reply_agent: new Set(['agentId', 'question', 'replyTo']) };

const ROLE_LABELS = {
  user: 'You',
  assistant: 'Agent',
  peer: 'Another agent',
  task: 'Background task',
  broadcast: 'Broadcast',
};

const TYPE_NAMES = {
  send_email: 'Send Email',
  create_calendar_event: 'Schedule Calendar Event',
  create_notion_page: 'Create Notion Page',
  update_notion_page: 'Edit Notion Page',
  update_attio_record: 'Update Attio Record',
  create_attio_note: 'Create Attio Note',
  create_attio_task: 'Create Attio Task',
  message_agent: 'Message Another Agent',
  create_attio_record: 'Create Attio Record',
  complete_attio_task: 'Complete Attio Task',
  archive_notion_page: 'Archive Notion Page',
  append_notion_blocks: 'Append to Notion Page',
  create_gmail_draft: 'Save Gmail Draft',
  send_gmail_draft: 'Send Gmail Draft',
  create_google_doc: 'Create Google Doc',
  update_calendar_event: 'Change Calendar Event',
  cancel_calendar_event: 'Cancel Calendar Event',
  respond_calendar_event: 'Answer Calendar Invitation',
  reply_agent: 'Reply to Another Agent',
  grant: 'Standing Grant',
};

/** Renders the dashboard of one agent into `main`. */
export async function renderPerson(main, scope, agentId, { asAdmin }) {
  const head = h('div', { class: 'page-head' });
  const body = h('div');
  replace(main, asAdmin ? h('p', {}, h('a', { href: '/#/agents' }, '← All agents')) : null, head, body);
  append(head, h('h1', { id: 'agent-title' }, 'Loading…'));

  let agent;
  try {
    agent = (await api(`/api/agents/${enc(agentId)}`)).data;
  } catch (error) {
    replace(head, h('h1', {}, 'Agent not found'));
    replace(body, error.status === 404 && !error.missing
      ? notice('error', `No agent '${agentId}' is visible to you.`, h('p', {}, asAdmin ? 'Check the id in the agents list.' : 'Open the newest dashboard link you were sent.'))
      : errorState(error, 'The agent'));
    return;
  }

  document.title = `${agent.name} · Company Hub`;
  const summary = h('p', { class: 'muted', id: 'agent-summary' });
  const google = googlePanel(agent, asAdmin);
  const renderHead = (a) => {
    google.update(a);
    replace(head,
      h('div', {},
        h('h1', { id: 'agent-title' }, a.name || a.agentId, ' ', badge(a.status), a.working ? [' ', badge('working', 'working…')] : null),
        replace(summary,
          a.email ? `${a.email} · ` : '',
          `agent id ${a.agentId} · Google ${a.googleConnected ? 'connected' : 'not connected'} · last active `,
          time(a.lastActiveAt, { relative: true }))));
  };
  renderHead(agent);
  const stream = liveStream(scope, `/api/agents/${enc(agentId)}/events`);
  const headReader = scope.poll(async () => {
    agent = (await api(`/api/agents/${enc(agentId)}`)).data;
    renderHead(agent);
  }, null);
  stream.onSync(headReader.refresh).on('agent', (a) => {
    agent = a;
    renderHead(a);
  });

  const proposals = proposalsPanel(scope, stream, agentId, agent, asAdmin);
  const chat = chatPanel(scope, stream, agentId, agent, () => proposals.refresh(), asAdmin);
  replace(body,
    agent.status !== 'active' ? notice('warn', 'This agent is disabled.', h('p', {}, 'It was offboarded: its link no longer works and it takes no new messages.')) : null,
    google.element,
    h('div', { class: 'grid-2 person' },
      h('div', { class: 'stack' }, chat, proposals.historySection),
      h('div', { class: 'stack' }, proposals.openSection, inboxPanel(scope, stream, agentId), grantsPanel(scope, stream, agent, asAdmin), sharingPanel(agent, asAdmin), notificationsPanel(agent, asAdmin), settingsPanels(agent, asAdmin), agent.agentId === 'orchestrator' ? null : telegramPanel(agent, asAdmin), agent.agentId === 'orchestrator' ? null : linkPanel(agent, asAdmin), activityPanel(agentId))));
}

// ---------- Conversation ----------

function chatPanel(scope, stream, agentId, agent, onDecision, asAdmin) {
  const log = h('ol', { class: 'chat-log', 'aria-label': 'Conversation', tabindex: '0' });
  const live = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
  const working = h('p', { class: 'working', role: 'status', hidden: true }, 'Working…');
  const textarea = h('textarea', { name: 'text', rows: 3, maxlength: 20000, required: true, autocomplete: 'off' });
  const textField = field(asAdmin ? 'Message to the agent' : 'Message to your agent', textarea, 'Enter sends, Shift+Enter starts a new line. "approved", "yes", "no" or "edit: ..." decide the newest proposal.');
  const sendButton = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const status = statusLine();
  const form = h('form', { class: 'chat-form', 'aria-label': 'Send a message' }, textField, h('div', { class: 'actions' }, sendButton), status);

  let next = 0;
  let serverWorking = false;
  let loaded = false;
  const pendingTurns = new Map();

  const updateWorking = () => {
    const now = Date.now();
    for (const [turnId, sentAt] of pendingTurns) {
      if (now - sentAt > 180000) {
        pendingTurns.delete(turnId);
      }
    }

    working.hidden = !(serverWorking || pendingTurns.size > 0);
  };

  const shown = new Set();
  const add = (message) => {
    if (shown.has(message.seq)) {
      return;
    }

    shown.add(message.seq);
    log.querySelector('.empty')?.remove();
    const role = message.role in ROLE_LABELS ? message.role : 'assistant';
    const who = role === 'assistant' ? (agent.identity?.name || agent.name || 'Agent') : ROLE_LABELS[role];
    log.append(h('li', { class: `msg ${role}`, dataset: { seq: String(message.seq), role } },
      h('span', { class: 'meta' }, who, ' · ', time(message.at)),
      role === 'user' ? h('div', { class: 'text' }, message.text) : h('div', { class: 'text' }, markdown(message.text))));
    if (message.role !== 'user') {
      pendingTurns.delete(message.turnId);
      live.textContent = `${who}: ${message.text.slice(0, 200)}`;
    }
  };

  const poller = scope.poll(async () => {
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    let added = 0;
    for (let page = 0; page < 20; page++) {
      const { data } = await api(`/api/agents/${enc(agentId)}/messages?after=${next}&top=100`);
      serverWorking = !!data.working;
      for (const message of data.messages) {
        add(message);
        added++;
      }

      next = data.next ?? next;
      if (data.messages.length < 100) {
        break;
      }
    }

    if (!loaded) {
      loaded = true;
      if (log.children.length === 0) {
        log.append(h('li', { class: 'empty' }, 'No messages yet. Say hello to your agent.'));
      }
    }

    updateWorking();
    if (added > 0 && (nearBottom || !loaded)) {
      log.scrollTop = log.scrollHeight;
    }
  }, null);

  // A message event shows the message at once when it follows the ones on screen; after a gap (or before the first
  // read) the conversation is read from the server instead.
  stream.onSync(poller.refresh).on('message', (message) => {
    if (!loaded || message.seq > next + 1) {
      poller.refresh();
      return;
    }

    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    add(message);
    next = Math.max(next, message.seq);
    updateWorking();
    if (nearBottom) {
      log.scrollTop = log.scrollHeight;
    }
  }).on('agent', (a) => {
    // The agent stopped working: its answer is stored by now, so read the conversation in case its message event was
    // missed (a reconnecting stream, an event dropped for a slow reader).
    const finished = serverWorking && !a.working;
    serverWorking = !!a.working;
    updateWorking();
    if (finished) {
      poller.refresh();
    }
  });

  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = textarea.value.trim();
    if (!text) {
      textField.setError('Write a message first.');
      return;
    }

    textField.setError(null);
    sendButton.disabled = true;
    status.clear();
    try {
      const { data } = await api(`/api/agents/${enc(agentId)}/messages`, { method: 'POST', body: { text } });
      textarea.value = '';
      if (data?.turnId) {
        pendingTurns.set(data.turnId, Date.now());
      }

      if (data?.proposalId) {
        status.show('ok', `Applied "${data.decision}" to the newest proposal.`);
        onDecision();
      }

      updateWorking();
      poller.refresh();
    } catch (error) {
      if (error.errors?.text) {
        textField.setError([error.errors.text].flat().join(' '));
      } else {
        status.show('error', error.message);
      }
    } finally {
      sendButton.disabled = false;
      textarea.focus();
    }
  });

  return h('section', { class: 'panel', 'aria-labelledby': 'chat-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'chat-h' }, 'Conversation')),
    log, live, working, agent.status === 'active' ? form : h('p', { class: 'muted' }, 'This agent is disabled and takes no messages.'));
}

// ---------- Proposals ----------

function proposalsPanel(scope, stream, agentId, agent, asAdmin) {
  const openList = h('div', { id: 'open-proposals' });
  const openCount = h('span', { class: 'badge' }, '0');
  const openSection = h('section', { class: 'panel', 'aria-labelledby': 'open-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'open-h' }, asAdmin ? 'Waiting for a decision ' : 'Waiting for your decision ', openCount)),
    openList);
  const historyList = h('ol', { class: 'history', id: 'decided-proposals' });
  const historySection = h('section', { class: 'panel', 'aria-labelledby': 'history-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'history-h' }, 'Decided proposals')),
    historyList);

  /** proposalId → { el, view, editing, dismissed } for the cards on screen. */
  const cards = new Map();

  // A notification's link (/?proposal=<id>) opens the dashboard at that card, once it is on screen.
  let linked = new URLSearchParams(location.search).get('proposal');
  const showLinkedCard = () => {
    const card = linked && cards.get(linked);
    if (card) {
      linked = null;
      card.el.dataset.linked = 'true';
      card.el.scrollIntoView({ block: 'center' });
    }
  };

  const poller = scope.poll(async () => {
    let list;
    try {
      list = (await api(`/api/agents/${enc(agentId)}/proposals`)).data ?? [];
    } catch (error) {
      replace(openList, errorState(error, 'Proposals'));
      return;
    }

    for (const summary of list) {
      const existing = cards.get(summary.proposalId);
      const isOpen = OPEN.has(summary.status);
      // A change that ran under a grant stays on screen while its inverse can be applied.
      if (!isOpen && !existing && summary.inverse !== 'available') {
        continue;
      }

      if (existing && (existing.editing || existing.dismissed)) {
        continue;
      }

      if (existing && existing.view.status === summary.status && (existing.view.inverse?.status ?? null) === (summary.inverse ?? null)
        && (!isOpen || existing.view.revision === (summary.revision ?? existing.view.revision))) {
        continue;
      }

      try {
        const view = (await api(`/api/proposals/${enc(summary.proposalId)}`)).data;
        if (!existing) {
          const card = proposalCard(view, agent, () => poller.refresh(), asAdmin);
          cards.set(view.proposalId, card);
        } else if (existing.view.status !== view.status || existing.view.revision !== view.revision || existing.view.inverse?.status !== view.inverse?.status) {
          existing.update(view);
        }
      } catch (error) {
        if (!(error instanceof ApiError)) {
          throw error;
        }
      }
    }

    // Show open cards newest first, then cards that finished while on screen (until dismissed).
    const order = list.map((p) => p.proposalId).filter((id) => cards.has(id) && !cards.get(id).dismissed);
    const els = order.map((id) => cards.get(id).el);
    if (els.length === 0) {
      replace(openList, h('p', { class: 'empty' }, 'Nothing is waiting for a decision.'));
    } else if (els.some((el, i) => openList.children[i] !== el) || openList.children.length !== els.length) {
      replace(openList, els);
    }

    openCount.textContent = String(list.filter((p) => p.status === 'pending').length);
    renderHistory(historyList, list.filter((p) => !OPEN.has(p.status)));
    showLinkedCard();
  }, null);

  stream.onSync(poller.refresh).on('proposal', poller.refresh);

  return { openSection, historySection, refresh: () => poller.refresh() };
}

function renderHistory(listEl, decided) {
  if (decided.length === 0) {
    replace(listEl, h('li', { class: 'empty' }, 'No decided proposals yet.'));
    return;
  }

  replace(listEl, decided.length > 50 ? h('li', { class: 'small muted' }, `The latest 50 of ${decided.length}.`) : null, decided.slice(0, 50).map((p) => h('li', { dataset: { proposalId: p.proposalId } },
    h('span', {}, h('strong', {}, p.title || p.type), ' ', h('span', { class: 'muted small' }, TYPE_NAMES[p.type] ?? p.type)),
    h('span', { class: 'nowrap' }, badge(p.status), ' ', time(p.decidedAt ?? p.createdAt)),
    p.outcome ? h('span', { class: 'outcome' }, p.outcome) : null)));
}

function outcomeNotice(view) {
  switch (view.status) {
    case 'succeeded':
      return notice('ok', view.grant ? `Done under grant ${view.grant}` : 'Done', h('p', {}, view.result || 'The action was carried out.'), inverseNote(view.inverse));
    case 'failed':
      return notice('error', 'Failed', h('p', {}, view.error || 'The action failed.'), view.attempts > 1 ? h('p', { class: 'small' }, `after ${view.attempts} attempts`) : null);
    case 'held':
      return notice('info', `Auto-approved under grant ${view.grant}`, h('p', {}, 'It goes at ', time(view.heldUntil), ' unless you undo it.'));
    case 'executing':
      return notice('info', view.grant ? `Auto-approved under grant ${view.grant}: running…` : 'Approved: running…', h('p', {}, 'The action is being carried out.'));
    case 'rejected':
      return notice('warn', 'Rejected', view.reason ? h('p', {}, `Reason: ${view.reason}`) : null);
    case 'expired':
      return notice('warn', 'Expired', h('p', {}, 'No decision came before it expired.'));
    case 'cancelled':
      return notice('warn', 'Cancelled', view.reason ? h('p', {}, view.reason) : null);
    default:
      return null;
  }
}

/** What a change that ran under a grant offers to take it back: its inverse, or why there is none. */
function inverseNote(inverse) {
  if (!inverse) {
    return null;
  }

  switch (inverse.status) {
    case 'available':
      return h('p', { class: 'small inverse' }, `Undo with one click: ${inverse.description} Until `, time(inverse.until), '.');
    case 'applying':
      return h('p', { class: 'small inverse' }, `Taking it back: ${inverse.description}`);
    case 'applied':
      return h('p', { class: 'small inverse' }, `Taken back by ${inverse.appliedBy}: ${inverse.result}`);
    case 'failed':
      return h('p', { class: 'small inverse' }, `Taking it back failed: ${inverse.error}`);
    case 'closed':
      return h('p', { class: 'small inverse muted' }, 'The window to take it back here has ended.');
    default:
      return h('p', { class: 'small inverse muted' }, inverse.description);
  }
}

function proposalCard(initial, agent, refresh, asAdmin) {
  const card = { view: initial, editing: false, dismissed: false };
  const el = h('article', { class: 'proposal', dataset: { proposalId: initial.proposalId } });
  card.el = el;
  const status = statusLine();

  const decide = async (body, doneText) => {
    status.clear();
    el.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      // The decision names the revision on screen: if the proposal changed meanwhile, the hub answers 409 and applies nothing.
      await api(`/api/proposals/${enc(card.view.proposalId)}/decision`, { method: 'POST', body: { ...body, revision: card.view.revision } });
      status.show('ok', doneText);
      return true;
    } catch (error) {
      if (error.status === 409) {
        status.show('warn', error.message);
      } else if (error.status !== 400) {
        status.show('error', error.message);
      }

      throw error;
    } finally {
      el.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      refresh();
    }
  };

  const render = () => {
    const v = card.view;
    const titleId = `p-title-${v.proposalId}`;
    el.className = `proposal ${v.status}`;
    el.setAttribute('aria-labelledby', titleId);
    const actions = v.status === 'pending' ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', 'aria-describedby': titleId, onclick: () => decide({ decision: 'approve' }, 'Approved. Running…').catch(() => {}) }, 'Approve'),
      h('button', { type: 'button', 'aria-describedby': titleId, onclick: openEditor }, 'Edit'),
      h('button', { type: 'button', 'aria-describedby': titleId, onclick: openReject }, 'Reject'))
      : v.status === 'held' ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', 'aria-describedby': titleId, onclick: undo }, 'Undo'))
      : v.inverse?.status === 'available' ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', 'aria-describedby': titleId, onclick: applyInverse }, 'Undo this change')) : null;
    const proposedBy = v.proposedBy?.kind === 'peer' ? `agent ${v.proposedBy.agentId}` : v.proposedBy?.kind === 'user' ? (asAdmin ? 'the person' : 'you') : 'the agent';
    replace(el,
      h('h3', { id: titleId }, TYPE_NAMES[v.type] ?? v.type, ' ', badge(v.status), v.revision > 1 ? h('span', { class: 'muted small' }, ` revision ${v.revision}`) : null),
      markdown(v.card),
      h('p', { class: 'small muted' }, `Proposed by ${proposedBy} · `, time(v.createdAt), v.status === 'pending' ? [' · expires ', time(v.expiresAt)] : null,
        v.decidedAt ? [' · decided ', time(v.decidedAt), v.decidedBy ? ` by ${v.decidedBy}` : ''] : null),
      v.status === 'pending' && v.grantNote ? notice('warn', 'Not covered by a grant', h('p', {}, v.grantNote)) : null,
      h('div', { class: 'result' }, outcomeNotice(v)),
      actions,
      !OPEN.has(v.status) ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'small', onclick: () => { card.dismissed = true; el.remove(); } }, 'Dismiss')) : null,
      status);
  };

  // Cancels an action a grant approved while it waits out its undo window.
  const undo = async () => {
    status.clear();
    el.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      const { data } = await api(`/api/proposals/${enc(card.view.proposalId)}/undo`, { method: 'POST' });
      card.justActed = true;
      status.show('ok', data.queued ? 'Undo sent.' : 'Undone: it will not run.');
    } catch (error) {
      status.show(error.status === 409 ? 'warn' : 'error', error.message);
    } finally {
      el.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      refresh();
    }
  };

  // Applies the inverse of a change a grant approved (once: a second click is answered 409).
  const applyInverse = async () => {
    status.clear();
    el.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      const { data } = await api(`/api/proposals/${enc(card.view.proposalId)}/inverse`, { method: 'POST' });
      status.show('ok', data.queued ? 'Sent: it will be taken back.' : `Taking it back: ${data.inverse?.status ?? 'applying'}.`);
    } catch (error) {
      status.show(error.status === 409 ? 'warn' : 'error', error.message);
    } finally {
      el.querySelectorAll('button').forEach((b) => { b.disabled = false; });
      refresh();
    }
  };

  const openEditor = () => {
    card.editing = true;
    const fields = {};
    const v = card.view;
    for (const [key, value] of Object.entries(v.payload ?? {})) {
      if (INTERNAL_FIELDS.has(key) || FIXED_FIELDS[v.type]?.has(key)) {
        continue;
      }

      fields[key] = editorField(key, value);
    }

    const save = h('button', { type: 'submit', class: 'primary' }, 'Save changes');
    const form = h('form', { 'aria-label': 'Edit the proposal', novalidate: true },
      h('h4', {}, 'Edit the proposal'),
      Object.values(fields),
      h('div', { class: 'actions' }, save, h('button', { type: 'button', onclick: close }, 'Cancel')));
    function close() {
      card.editing = false;
      render();
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const changes = {};
      let invalid = false;
      for (const [key, f] of Object.entries(fields)) {
        f.setError(null);
        try {
          const value = f.read();
          if (JSON.stringify(value) !== JSON.stringify(v.payload[key])) {
            changes[key] = value;
          }
        } catch (error) {
          f.setError(error.message);
          invalid = true;
        }
      }

      if (invalid) {
        return;
      }

      if (Object.keys(changes).length === 0) {
        status.show('warn', 'Nothing was changed.');
        return;
      }

      try {
        await decide({ decision: 'edit', changes }, 'Saved as a new revision. Check it, then approve.');
        card.editing = false;
        const fresh = (await api(`/api/proposals/${enc(v.proposalId)}`)).data;
        if (fresh.revision > card.view.revision) {
          card.view = fresh;
        }

        render();
        status.show('ok', `Saved as revision ${Math.max(fresh.revision, v.revision + 1)}. Check it, then approve.`);
        el.querySelector('button.primary')?.focus();
      } catch (error) {
        if (error.status === 400) {
          const rest = showFieldErrors(error, fields, ['changes.', 'payload.']);
          status.show('error', rest.length ? rest.join(' ') : error.message);
        }
      }
    });
    el.querySelector('.actions')?.replaceWith(form);
    form.querySelector('input, textarea')?.focus();
  };

  const openReject = () => {
    card.editing = true;
    const reason = h('input', { type: 'text', name: 'reason', maxlength: 500 });
    const form = h('form', { 'aria-label': 'Reject the proposal' },
      field('Reason (optional)', reason, 'Your agent sees the reason.'),
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'danger' }, 'Reject proposal'),
        h('button', { type: 'button', onclick: () => { card.editing = false; render(); } }, 'Cancel')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      card.editing = false;
      try {
        await decide({ decision: 'reject', reason: reason.value.trim() || undefined }, 'Rejected.');
      } catch {
        // shown in the status line
      }
    });
    el.querySelector('.actions')?.replaceWith(form);
    reason.focus();
  };

  card.update = (view) => {
    const wasOpen = OPEN.has(card.view.status);
    card.view = view;
    render();
    if (wasOpen && !OPEN.has(view.status)) {
      status.announce(`${TYPE_NAMES[view.type] ?? view.type}: ${view.status}${view.result ? `, ${view.result}` : ''}${view.error ? `, ${view.error}` : ''}`);
    }
  };

  render();
  return card;
}

/** One field of the edit form, made from the payload value's type; `read()` returns the edited value. */
function editorField(key, value) {
  const label = key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
  let input;
  let read;
  let hint;
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) {
    input = h('input', { type: 'text', name: key, value: value.join(', ') });
    hint = 'Comma-separated.';
    read = () => input.value.split(',').map((x) => x.trim()).filter(Boolean);
  } else if (value !== null && typeof value === 'object') {
    input = h('textarea', { name: key, class: 'mono', rows: 5, value: JSON.stringify(value, null, 2) });
    hint = 'JSON.';
    read = () => {
      try {
        return JSON.parse(input.value);
      } catch {
        throw new Error('This is not valid JSON.');
      }
    };
  } else if (typeof value === 'number') {
    input = h('input', { type: 'number', name: key, value: String(value) });
    read = () => Number(input.value);
  } else if (typeof value === 'boolean') {
    input = h('input', { type: 'checkbox', name: key, checked: value });
    read = () => input.checked;
  } else {
    const text = value === null || value === undefined ? '' : String(value);
    input = LONG_FIELDS.has(key) || text.includes('\n') || text.length > 80
      ? h('textarea', { name: key, rows: Math.min(12, Math.max(3, text.split('\n').length + 1)), value: text })
      : h('input', { type: 'text', name: key, value: text });
    read = () => input.value;
  }

  const f = field(label, input, hint);
  f.read = read;
  return f;
}

// ---------- Inbox, link, activity ----------

function inboxPanel(scope, stream, agentId) {
  const list = h('ol', { class: 'history', id: 'inbox' });
  const reader = scope.poll(async () => {
    try {
      const items = (await api(`/api/agents/${enc(agentId)}/inbox`)).data ?? [];
      if (items.length === 0) {
        replace(list, h('li', { class: 'empty' }, 'No messages from other agents.'));
        return;
      }

      replace(list, items.slice(0, 50).map((m) => h('li', {},
        h('span', {}, h('strong', {}, `From ${m.fromAgentId}`), m.inReplyTo ? h('span', { class: 'muted small' }, ` (reply to ${m.inReplyTo})`) : null),
        h('span', { class: 'nowrap' }, time(m.at)),
        h('div', { class: 'outcome' }, markdown(m.text)))));
    } catch (error) {
      replace(list, h('li', {}, errorState(error, 'Inbox')));
    }
  }, null);
  stream.onSync(reader.refresh).on('inbox', reader.refresh);
  return h('section', { class: 'panel', 'aria-labelledby': 'inbox-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'inbox-h' }, 'Inbox')),
    h('p', { class: 'small muted' }, 'Messages other agents sent to this agent.'),
    list);
}

// What the agent may read while it answers another agent: never the person's mail or calendar; the company's
// Notion and Attio only when the person allows it. Its answers always wait for a decision.
function sharingPanel(agent, asAdmin) {
  const box = h('input', { type: 'checkbox', name: 'companyToolsForAgents', disabled: agent.status !== 'active' });
  box.checked = Boolean(agent.sharing?.companyToolsForAgents);
  const status = statusLine();
  box.addEventListener('change', async () => {
    const wanted = box.checked;
    box.disabled = true;
    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}/sharing`, { method: 'PUT', body: { companyToolsForAgents: wanted } });
      box.checked = data.companyToolsForAgents;
      status.show('ok', data.companyToolsForAgents ? 'Other agents\' questions may now read Notion and Attio.' : 'Other agents\' questions no longer read Notion or Attio.');
    } catch (error) {
      box.checked = !wanted;
      status.show('error', `Not changed: ${error.message}`);
    } finally {
      box.disabled = agent.status !== 'active';
    }
  });
  const whose = asAdmin ? `${agent.name || agent.agentId}'s` : 'your';
  return h('section', { class: 'panel', 'aria-labelledby': 'sharing-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'sharing-h' }, 'Questions from other agents')),
    h('p', { class: 'small' }, `When another agent asks this agent something, it answers without reading ${whose} mail or calendar, and its answer is sent only after ${asAdmin ? 'a decision' : 'you approve it'} (it appears under "Waiting for ${asAdmin ? 'a' : 'your'} decision").`),
    h('label', { class: 'check' }, box, ' Let it read the company\'s Notion and Attio for those answers'),
    status);
}

// ---------- Google connection ----------

// A banner when Google access was lost or a newly enabled tool needs access not granted yet, and the person's
// "Reconnect Google" (the same Google sign-in as onboarding; only the agent's own Google account is accepted).
function googlePanel(initial, asAdmin) {
  const element = h('div', { id: 'google-connection' });
  const out = h('div');
  const button = h('button', { type: 'button', id: 'google-reconnect' }, 'Reconnect Google');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { data } = await api(`/api/agents/${enc(initial.agentId)}/google/reconnect`, { method: 'POST' });
      window.location.assign(data.url);
    } catch (error) {
      replace(out, notice('error', 'Could not start the reconnect', h('p', {}, error.message)));
      button.disabled = false;
    }
  });
  const update = (a) => {
    const g = a.google || {};
    if (a.status !== 'active' || a.agentId === 'orchestrator' || !g.connected) {
      replace(element);
      return;
    }

    const why = g.accessLost
      ? 'Google access lost — reconnect: Google refused the stored sign-in (revoked or expired), so mail, calendar and files tools do not work.'
      : (g.missingScopes || []).length > 0
        ? `A Google tool turned on since ${asAdmin ? 'their' : 'your'} sign-in needs access not granted yet: ${g.missingScopes.map((s) => s.replace('https://www.googleapis.com/auth/', '')).join(', ')}.`
        : null;
    const banner = why ? notice('warn', 'Reconnect Google', h('p', {}, why), asAdmin ? h('p', { class: 'small' }, 'Only they can reconnect, from their own dashboard.') : null) : null;
    replace(element, banner, asAdmin ? null : h('p', { class: 'small' }, why ? null : 'Google access revoked or changed? ', button), out);
  };
  update(initial);
  return { element, update };
}

// The agent's persona (tone and standing instructions, versioned) and its memory, which its person sees and deletes.
function settingsPanels(agent, asAdmin) {
  return [
    personaPanel({
      path: `/api/agents/${enc(agent.agentId)}/persona`,
      title: 'Persona',
      headingId: 'persona-h',
      intro: asAdmin ? `How ${agent.name || agent.agentId}'s agent sounds and the standing instructions it follows.` : 'How your agent sounds and the standing instructions it follows.',
      disabled: agent.status !== 'active',
    }),
    memoryPanel(agent, asAdmin),
  ];
}

// The company's Telegram bot: a one-time code (15 minutes, single use) links one Telegram account to this agent, to chat
// and decide on proposals there; Unlink (or /unlink in Telegram) ends it.
function telegramPanel(agent, asAdmin) {
  const body = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const status = statusLine();
  const url = `/api/agents/${enc(agent.agentId)}/channels/telegram`;
  async function load() {
    try {
      show((await api(url)).data);
    } catch (error) {
      replace(body, errorState(error, 'Telegram'));
    }
  }

  function show(link) {
    if (!link.configured) {
      replace(body, h('p', { class: 'small' }, 'Telegram is not set up on this hub (the admin sets TELEGRAM_BOT_TOKEN).'));
      return;
    }

    if (link.linked) {
      const unlink = h('button', { type: 'button' }, 'Unlink Telegram');
      unlink.addEventListener('click', async () => {
        unlink.disabled = true;
        try {
          await api(url, { method: 'DELETE' });
          status.show('ok', 'Unlinked: that Telegram account no longer reaches this agent.');
          await load();
        } catch (error) {
          status.show('error', `Not unlinked: ${error.message}`);
          unlink.disabled = false;
        }
      });
      replace(body,
        h('p', {}, 'Linked to ', h('strong', {}, link.username ? `@${link.username}` : 'a Telegram account'), ' since ', time(link.linkedAt), '.'),
        unlink);
      return;
    }

    if (asAdmin) {
      replace(body, h('p', { class: 'small' }, 'Not linked to Telegram. Linking is the person\'s own act, from their dashboard.'));
      return;
    }

    const make = h('button', { type: 'button', disabled: agent.status !== 'active' }, 'Link Telegram');
    const out = h('div');
    make.addEventListener('click', async () => {
      make.disabled = true;
      try {
        const { data } = await api(url, { method: 'POST' });
        replace(out,
          h('p', {}, 'Open ', h('a', { href: data.link, target: '_blank', rel: 'noopener noreferrer' }, data.link),
            ` in Telegram and press Start, or send /start ${data.code} to @${data.bot}. It works once, until `, time(data.expiresAt), '.'),
          h('p', { class: 'small' }, 'Then reload this page to see the link.'));
      } catch (error) {
        status.show('error', `No code: ${error.message}`);
      } finally {
        make.disabled = agent.status !== 'active';
      }
    });
    replace(body, h('p', { class: 'small' }, `Chat with ${asAdmin ? 'this' : 'your'} agent and approve, edit or reject its proposals from Telegram.`), make, out);
  }

  load();
  return h('section', { class: 'panel', 'aria-labelledby': 'telegram-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'telegram-h' }, 'Telegram')),
    body, status);
}

const CHANNEL_LABELS = { email: 'Email', telegram: 'Telegram' };

// Which channels tell the person of proposals waiting for them, and whether they are reminded every day
// (GET/PUT /api/agents/{id}/notifications). A channel that cannot reach them says why (e.g. no sender mailbox).
function notificationsPanel(agent, asAdmin) {
  const body = h('div', { id: 'notification-settings' }, h('p', { class: 'loading' }, 'Loading…'));
  const status = statusLine();
  const active = agent.status === 'active';

  const render = (settings) => {
    const box = (name, label, note) => {
      const input = h('input', { type: 'checkbox', name, disabled: !active });
      input.checked = Boolean(settings[name]);
      input.addEventListener('change', async () => {
        const wanted = input.checked;
        body.querySelectorAll('input').forEach((i) => { i.disabled = true; });
        try {
          const { data } = await api(`/api/agents/${enc(agent.agentId)}/notifications`, { method: 'PUT', body: { [name]: wanted } });
          render(data);
          status.show('ok', `${label}: ${wanted ? 'on' : 'off'}.`);
        } catch (error) {
          input.checked = !wanted;
          body.querySelectorAll('input').forEach((i) => { i.disabled = !active; });
          status.show('error', `Not changed: ${error.message}`);
        }
      });
      return h('div', {}, h('label', { class: 'check' }, input, ` ${label}`), note ? h('p', { class: 'small muted', dataset: { channelStatus: name } }, note) : null);
    };
    const channels = Object.entries(settings.channels ?? {});
    replace(body,
      channels.map(([name, c]) => box(name, CHANNEL_LABELS[name] ?? name, c.available ? null : `Not sent now: ${c.status}`)),
      box('reminders', 'Remind me every day while a proposal waits', null));
  };

  api(`/api/agents/${enc(agent.agentId)}/notifications`)
    .then(({ data }) => render(data))
    .catch((error) => replace(body, errorState(error, 'Notification settings')));
  return h('section', { class: 'panel', 'aria-labelledby': 'notifications-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'notifications-h' }, 'Notifications')),
    h('p', { class: 'small' }, `When a proposal starts waiting for ${asAdmin ? 'a' : 'your'} decision, and when it expires, ${asAdmin ? 'the person hears' : 'you hear'} of it on these channels (several at once come in one message).`),
    body, status);
}

function linkPanel(agent, asAdmin) {
  const out = h('div');
  const button = h('button', { type: 'button', disabled: agent.status !== 'active' }, asAdmin ? 'Make a new link' : 'Get a new link');
  button.addEventListener('click', async () => {
    const { ok } = await confirmDialog({
      title: asAdmin ? `New dashboard link for ${agent.name}` : 'Get a new dashboard link?',
      message: 'The current link stops working at once. The new link is shown only once.',
      confirmText: 'Make a new link',
    });
    if (!ok) {
      return;
    }

    button.disabled = true;
    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}/token/rotate`, { method: 'POST' });
      replace(out,
        notice('ok', 'New link made', h('p', {}, asAdmin
          ? 'Send it to them privately. It is shown only this once.'
          : 'Save it now: it is shown only this once. This browser stays signed in.')),
        secretLink('New dashboard link', data.dashboardUrl));
    } catch (error) {
      replace(out, notice('error', 'No new link', h('p', {}, error.message)));
    } finally {
      button.disabled = false;
    }
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'link-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'link-h' }, asAdmin ? 'Dashboard link' : 'Your private link')),
    h('p', { class: 'small' }, asAdmin
      ? 'Their link works like a password. Making a new one revokes the old one.'
      : 'Your dashboard link works like a password. If someone else may have it, get a new one: the old link stops working at once.'),
    button, out);
}

function activityPanel(agentId) {
  const body = h('div');
  const details = h('details', {}, h('summary', {}, 'Activity (audit log)'), body);
  details.addEventListener('toggle', async () => {
    if (!details.open) {
      return;
    }

    replace(body, h('p', { class: 'loading' }, 'Loading…'));
    try {
      const items = (await api(`/api/agents/${enc(agentId)}/audit?top=50`)).data ?? [];
      replace(body, items.length === 0 ? h('p', { class: 'empty' }, 'No activity yet.') : h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'What'), h('th', {}, 'Detail'))),
        h('tbody', {}, items.map((a) => h('tr', {},
          h('td', { class: 'nowrap' }, time(a.at)), h('td', {}, a.actor), h('td', {}, a.action), h('td', { class: 'wrap' }, a.detail ?? '')))))));
    } catch (error) {
      replace(body, errorState(error, 'Activity'));
    }
  });
  return h('section', { class: 'panel', 'aria-label': 'Activity' }, details);
}
