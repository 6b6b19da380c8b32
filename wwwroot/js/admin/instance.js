// Admin › Orchestrations › one instance: its input, output and custom status, its history as a timeline (each
// event with its time, its offset from the start and, for activities, timers and entity calls, how long it took),
// and the management actions: raise event, terminate, suspend, resume, restart, purge.

import { api, enc, query, MANAGEMENT } from '../api.js';
import { h, s, replace, field, badge, time, json, duration, clock, notice } from '../dom.js';
import { confirmDialog, errorState, statusLine, liveStream } from '../ui.js';
import { hashFor } from './index.js';

const ACTIVE = new Set(['Running', 'Pending', 'Suspended']);
const KNOWN_EVENTS = ['ApprovalDecision', 'OAuthCompleted', 'Cancel', 'Resend'];
const MAX_ROWS = 500;

export function renderInstance(main, scope, instanceId, params) {
  const showResults = params.get('results') === '1';
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'wrap' }, 'Instance ', h('span', { class: 'mono', id: 'instance-id' }, instanceId)));
  const props = h('div');
  const actions = h('div', { class: 'actions', id: 'instance-actions', role: 'group', 'aria-label': 'Instance actions' });
  const status = statusLine();
  const data = h('div', { class: 'grid-2' });
  const timeline = h('div', { id: 'timeline' });
  const resultsToggle = h('a', { href: hashFor('orchestrations', showResults ? {} : { results: 1 }, instanceId), class: 'small' }, showResults ? 'Hide event results' : 'Show event results');
  const raiseForm = raiseEventForm(instanceId, status, () => poller.refresh());

  replace(main,
    h('p', {}, h('a', { href: '#/orchestrations' }, '← Orchestrations')),
    head,
    h('section', { class: 'panel', 'aria-labelledby': 'summary-h' },
      h('h2', { id: 'summary-h', class: 'visually-hidden' }, 'Summary'), props, actions, status, raiseForm),
    h('section', { class: 'panel', 'aria-labelledby': 'timeline-h' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'timeline-h' }, 'History timeline'), resultsToggle),
      timeline),
    h('section', { class: 'panel', 'aria-label': 'Input, output and custom status' }, data));

  let current = null;
  const poller = scope.poll(async () => {
    let instance;
    try {
      instance = (await api(`${MANAGEMENT}/instances/${enc(instanceId)}${query({ showHistory: true, showInput: true, showHistoryOutput: showResults || undefined })}`)).data;
    } catch (error) {
      replace(props, error.status === 404 && !error.missing
        ? notice('error', 'No such instance', h('p', {}, error.message), h('p', {}, 'It may have been purged.'))
        : errorState(error, 'The instance'));
      replace(actions);
      raiseForm.hidden = true;
      replace(timeline);
      replace(data);
      current = null;
      return;
    }

    current = instance;
    renderProps(props, instance);
    renderActions(instance);
    renderTimeline(timeline, instance);
    replace(data,
      h('div', { class: 'stack' },
        h('div', {}, h('h3', {}, 'Input'), json(instance.input, { mask: true, label: 'Input' })),
        h('div', {}, h('h3', {}, 'Output'), json(instance.output, { mask: true, label: 'Output' }))),
      h('div', {}, h('h3', {}, 'Custom status'), json(instance.customStatus, { mask: true, label: 'Custom status' })));
  }, null);
  liveStream(scope, '/api/admin/events').onSync(poller.refresh).on('instance', (changed) => {
    if (changed.instanceId === instanceId) {
      poller.refresh();
    }
  });

  function renderActions(instance) {
    const active = ACTIVE.has(instance.runtimeStatus);
    const suspended = instance.runtimeStatus === 'Suspended';
    raiseForm.hidden = !active;
    replace(actions,
      active ? h('button', { type: 'button', onclick: () => control('terminate', 'Terminate', true) }, 'Terminate') : null,
      active && !suspended ? h('button', { type: 'button', onclick: () => control('suspend', 'Suspend', false) }, 'Suspend') : null,
      suspended ? h('button', { type: 'button', onclick: () => control('resume', 'Resume', false) }, 'Resume') : null,
      h('button', { type: 'button', onclick: restart }, 'Restart'),
      !active ? h('button', { type: 'button', class: 'danger', onclick: purge }, 'Purge') : null);
  }

  async function control(operation, label, danger) {
    const { ok, value } = await confirmDialog({
      title: `${label} ${instanceId}?`,
      message: operation === 'terminate' ? 'The orchestration stops for good; its activities in flight finish but their results are ignored.' : null,
      confirmText: label,
      danger,
      input: { label: 'Reason (optional)', placeholder: 'Why' },
    });
    if (!ok) {
      return;
    }

    try {
      await api(`${MANAGEMENT}/instances/${enc(instanceId)}/${operation}${query({ reason: value.trim() })}`, { method: 'POST' });
      status.show('ok', `${label}: request accepted.`);
    } catch (error) {
      status.show('error', error.message);
    }

    poller.refresh();
  }

  async function restart() {
    const { ok } = await confirmDialog({
      title: `Restart ${instanceId}?`,
      message: 'A new instance starts with the same input (with a new instance id).',
      confirmText: 'Restart',
    });
    if (!ok) {
      return;
    }

    try {
      const { data: started } = await api(`${MANAGEMENT}/instances/${enc(instanceId)}/restart${query({ restartWithNewInstanceId: true })}`, { method: 'POST' });
      const newId = started?.id ?? started?.instanceId;
      status.show('ok', `Restarted as ${newId ?? 'a new instance'}.`);
      if (newId) {
        location.hash = hashFor('orchestrations', {}, newId);
      }
    } catch (error) {
      status.show('error', error.message);
    }
  }

  async function purge() {
    const { ok } = await confirmDialog({
      title: `Purge ${instanceId}?`,
      message: 'Its status and history are deleted for good.',
      confirmText: 'Purge',
      danger: true,
    });
    if (!ok) {
      return;
    }

    try {
      const { data: result } = await api(`${MANAGEMENT}/instances/${enc(instanceId)}`, { method: 'DELETE' });
      replace(main, notice('ok', 'Purged', h('p', {}, `${result?.instancesDeleted ?? 1} instance deleted: ${instanceId}.`)), h('p', {}, h('a', { href: '#/orchestrations' }, '← Orchestrations')));
      scope.dispose();
    } catch (error) {
      status.show('error', error.message);
    }
  }
}

function renderProps(container, i) {
  const app = i.customStatus && typeof i.customStatus === 'object' ? i.customStatus : null;
  const events = i.historyEvents ?? [];
  const active = ACTIVE.has(i.runtimeStatus);
  // The history has millisecond times; the status has whole seconds.
  const first = events.length ? new Date(events[0].Timestamp) : new Date(i.createdTime);
  const last = active ? new Date() : events.length ? new Date(events[events.length - 1].Timestamp) : new Date(i.lastUpdatedTime);
  const agentId = app?.agentId;
  replace(container, h('dl', { class: 'props' },
    h('dt', {}, 'Type'), h('dd', {}, i.name),
    h('dt', {}, 'Status'), h('dd', { id: 'instance-status' }, badge(i.runtimeStatus)),
    h('dt', {}, 'Created'), h('dd', {}, time(i.createdTime)),
    h('dt', {}, 'Last updated'), h('dd', {}, time(i.lastUpdatedTime), ' ',
      h('span', { class: 'muted small' }, `(${active ? 'running for' : 'ran'} ${duration(last - first)})`)),
    agentId ? [h('dt', {}, 'Agent'), h('dd', {}, h('a', { href: `/?agent=${enc(agentId)}` }, agentId))] : null,
    app?.step ? [h('dt', {}, 'Step'), h('dd', {}, app.step)] : null,
    app?.status && typeof app.status === 'string' ? [h('dt', {}, 'App status'), h('dd', {}, app.status)] : null,
    // Present when the hub exports traces (OTEL_EXPORTER_OTLP_ENDPOINT): look it up in the trace backend.
    i.traceId ? [h('dt', {}, 'Trace id'), h('dd', { class: 'mono', id: 'instance-trace-id' }, i.traceId)] : null));
}

/** Pairs each completion with what started it, so that every event gets a start, an end and a kind. */
export function timelineRows(instance) {
  const events = instance.historyEvents ?? [];
  const startTime = new Date(events.find((e) => e.EventType === 'ExecutionStarted')?.Timestamp ?? instance.createdTime).getTime();
  const entityCalls = [];
  const timers = new Map();
  let previous = startTime;
  return events.map((e, index) => {
    const at = new Date(e.Timestamp).getTime();
    let begin = null;
    let kind = 'point';
    let detail = e.FunctionName ?? e.Name ?? '';
    switch (e.EventType) {
      case 'TaskCompleted':
      case 'SubOrchestrationInstanceCompleted':
        begin = e.ScheduledTime ? new Date(e.ScheduledTime).getTime() : null;
        kind = 'task';
        break;
      case 'TaskFailed':
      case 'SubOrchestrationInstanceFailed':
        begin = e.ScheduledTime ? new Date(e.ScheduledTime).getTime() : null;
        kind = 'failed';
        detail = `${e.FunctionName ?? ''}${e.Reason ? `: ${e.Reason}` : ''}`;
        break;
      case 'EntityOperationCalled':
        entityCalls.push(at);
        kind = 'entity';
        break;
      case 'EntityOperationCompleted':
      case 'EntityOperationFailed':
        begin = entityCalls.shift() ?? null;
        kind = e.EventType.endsWith('Failed') ? 'failed' : 'entity';
        break;
      case 'TimerCreated':
        timers.set(e.FireAt, at);
        kind = 'timer';
        detail = `fires ${new Date(e.FireAt).toLocaleString()}`;
        break;
      case 'TimerFired':
        begin = timers.get(e.FireAt) ?? null;
        kind = 'timer';
        detail = `due ${new Date(e.FireAt).toLocaleString()}`;
        break;
      case 'EventRaised':
      case 'EventSent':
        kind = 'event';
        break;
      case 'ExecutionCompleted':
        kind = 'end';
        detail = e.OrchestrationStatus ?? '';
        break;
      case 'ExecutionTerminated':
      case 'ExecutionSuspended':
      case 'ExecutionResumed':
        kind = 'end';
        detail = e.Reason ?? e.Input ?? '';
        break;
      default:
        break;
    }

    const gap = at - previous;
    previous = at;
    return { index: index + 1, event: e, at, begin, end: at, kind, detail, gap, offset: at - startTime };
  });
}

function renderTimeline(container, instance) {
  const rows = timelineRows(instance);
  if (rows.length === 0) {
    replace(container, h('p', { class: 'empty' }, instance.runtimeStatus === 'Pending' ? 'Not started yet: no history.' : 'No history.'));
    return;
  }

  const start = Math.min(...rows.map((r) => r.begin ?? r.at));
  const end = Math.max(...rows.map((r) => r.end), start + 1);
  const span = end - start;
  const shown = rows.slice(0, MAX_ROWS);
  const total = rows[rows.length - 1].at - rows[0].at;
  replace(container,
    h('p', { class: 'small muted' }, `${rows.length} events over ${duration(total)}. Durations: from scheduling to completion for activities, from call to answer for entity operations, from creation to firing for timers.`),
    h('div', { class: 'table-wrap' }, h('table', { class: 'timeline', id: 'timeline-table' },
      h('caption', { class: 'visually-hidden' }, 'History events in order, with times and durations'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, '#'),
        h('th', { scope: 'col' }, 'Time'),
        h('th', { scope: 'col', class: 'hide-narrow' }, 'Offset'),
        h('th', { scope: 'col' }, 'Event'),
        h('th', { scope: 'col' }, 'Details'),
        h('th', { scope: 'col' }, 'Duration'),
        h('th', { scope: 'col', class: 'hide-narrow' }, h('span', { class: 'visually-hidden' }, 'Timeline bar')))),
      h('tbody', {}, shown.map((r) => {
        const d = r.begin !== null ? r.end - r.begin : null;
        const x = ((r.begin ?? r.at) - start) / span * 100;
        const w = d !== null ? Math.max(0.6, d / span * 100) : 0.6;
        return h('tr', { dataset: { event: r.event.EventType } },
          h('td', { class: 'muted' }, String(r.index)),
          h('td', { class: 'nowrap mono', title: r.event.Timestamp }, clock(new Date(r.at))),
          h('td', { class: 'nowrap hide-narrow' }, `+${duration(r.offset)}`),
          h('td', {}, r.event.EventType),
          h('td', { class: 'wrap' }, r.detail, showResult(r.event)),
          h('td', { class: 'nowrap' }, d !== null ? duration(d) : h('span', { class: 'muted', title: 'time since the previous event' }, `+${duration(r.gap)}`)),
          h('td', { class: 'bar hide-narrow' }, s('svg', { viewBox: '0 0 100 10', preserveAspectRatio: 'none', 'aria-hidden': 'true' },
            s('rect', { class: 'track', x: 0, y: 0, width: 100, height: 10 }),
            s('rect', { class: `span ${r.kind}`, x: Math.min(x, 99.4), y: 1, width: Math.min(w, 100 - Math.min(x, 99.4)), height: 8 }))));
      })))),
    rows.length > MAX_ROWS ? h('p', { class: 'small muted' }, `Showing the first ${MAX_ROWS} of ${rows.length} events.`) : null);
}

function showResult(event) {
  if (!('Result' in event) || event.Result === null || event.Result === undefined) {
    return null;
  }

  const text = typeof event.Result === 'string' ? event.Result : JSON.stringify(event.Result);
  return h('details', {}, h('summary', { class: 'small' }, 'result'), h('pre', {}, text.length > 4000 ? `${text.slice(0, 4000)}…` : text));
}

function raiseEventForm(instanceId, status, refresh) {
  const name = h('input', { type: 'text', name: 'eventName', required: true, list: 'known-events', autocomplete: 'off', spellcheck: 'false' });
  const body = h('textarea', { name: 'eventData', class: 'mono', rows: 3, placeholder: '{ "decision": "approve" }', spellcheck: 'false' });
  const nameField = field('Event name', name);
  const bodyField = field('Event data (JSON, optional)', body);
  const form = h('form', { 'aria-label': 'Raise an event', id: 'raise-event' },
    h('details', {}, h('summary', {}, 'Raise an event'),
      h('datalist', { id: 'known-events' }, KNOWN_EVENTS.map((e) => h('option', { value: e }))),
      nameField, bodyField,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Raise event'))));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    nameField.setError(null);
    bodyField.setError(null);
    if (!name.value.trim()) {
      nameField.setError('Name the event.');
      return;
    }

    let payload = null;
    if (body.value.trim()) {
      try {
        payload = JSON.parse(body.value);
      } catch {
        bodyField.setError('This is not valid JSON.');
        return;
      }
    }

    try {
      await api(`${MANAGEMENT}/instances/${enc(instanceId)}/raiseEvent/${enc(name.value.trim())}`, { method: 'POST', body: payload });
      status.show('ok', `Event ${name.value.trim()} raised.`);
      refresh();
    } catch (error) {
      status.show('error', error.message);
    }
  });
  return form;
}
