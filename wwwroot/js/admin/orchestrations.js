// Admin › Orchestrations: the monitor. Filters (type, runtime status, created time, id prefix) go to the Durable
// Functions management API (/runtime/webhooks/durabletask/instances), whose pages are followed with the
// x-ms-continuation-token header; the matches are shown newest first, a page at a time, under a histogram of
// instances by creation time and status. Live updates (on by default) re-read them whenever the admin's event stream
// (GET /api/admin/events) says an instance changed.

import { api, query, MANAGEMENT } from '../api.js';
import { h, s, replace, field, badge, time, duration, isoToLocal, localToIso } from '../dom.js';
import { errorState, liveStream } from '../ui.js';
import { hashFor } from './index.js';

export const STATUSES = ['Running', 'Pending', 'Suspended', 'Completed', 'Failed', 'Terminated', 'ContinuedAsNew', 'Canceled'];
const KNOWN_TYPES = ['ApprovalOrchestration', 'OnboardingOrchestration', 'AgentTurnOrchestration', 'AgentMailboxOrchestration', 'BroadcastOrchestration', 'BackupOrchestration', 'EntityCallOrchestration'];
const RANGES = [
  { id: '1h', label: 'Last hour', ms: 3600e3 },
  { id: '24h', label: 'Last 24 hours', ms: 86400e3 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86400e3 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86400e3 },
  { id: 'all', label: 'Any time', ms: null },
  { id: 'custom', label: 'Custom range', ms: null },
];
const MAX_INSTANCES = 2000;
const SERVER_PAGE = 500;

/** Reads the filters from the hash parameters. */
function readFilters(params) {
  return {
    type: params.get('type') ?? '',
    status: (params.get('status') ?? '').split(',').filter((x) => STATUSES.includes(x)),
    range: RANGES.some((r) => r.id === params.get('range')) ? params.get('range') : '24h',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    prefix: params.get('prefix') ?? '',
    size: [25, 50, 100].includes(Number(params.get('size'))) ? Number(params.get('size')) : 25,
    refresh: params.get('refresh') === '0' ? '0' : 'live',
    page: Math.max(1, Number(params.get('page')) || 1),
  };
}

function toParams(f) {
  return {
    type: f.type,
    status: f.status.join(','),
    range: f.range === '24h' ? '' : f.range,
    from: f.range === 'custom' ? f.from : '',
    to: f.range === 'custom' ? f.to : '',
    prefix: f.prefix,
    size: f.size === 25 ? '' : f.size,
    refresh: f.refresh === 'live' ? '' : f.refresh,
    page: f.page > 1 ? f.page : '',
  };
}

/** The created-time window the filters mean: { from, to } as Dates (either may be null). */
function timeWindow(f, now = new Date()) {
  const preset = RANGES.find((r) => r.id === f.range);
  if (preset?.ms) {
    return { from: new Date(now.getTime() - preset.ms), to: null };
  }

  if (f.range === 'custom') {
    return { from: f.from ? new Date(f.from) : null, to: f.to ? new Date(f.to) : null };
  }

  return { from: null, to: null };
}

/** Reads every matching instance (up to MAX_INSTANCES) by following continuation tokens. */
async function fetchInstances(f, signal) {
  const { from, to } = timeWindow(f);
  const q = query({
    runtimeStatus: f.status.join(','),
    createdTimeFrom: from?.toISOString(),
    createdTimeTo: to?.toISOString(),
    instanceIdPrefix: f.prefix,
    top: SERVER_PAGE,
  });
  const type = f.type.trim().toLowerCase();
  const items = [];
  let token = null;
  let pages = 0;
  let capped = false;
  do {
    const { data, headers } = await api(`${MANAGEMENT}/instances${q}`, { headers: token ? { 'x-ms-continuation-token': token } : {}, signal });
    pages++;
    for (const instance of data ?? []) {
      if (!type || instance.name?.toLowerCase().includes(type)) {
        items.push(instance);
      }
    }

    token = headers.get('x-ms-continuation-token');
    if (token && pages * SERVER_PAGE >= MAX_INSTANCES) {
      capped = true;
      break;
    }
  } while (token);

  items.sort((a, b) => (b.createdTime ?? '').localeCompare(a.createdTime ?? '') || a.instanceId.localeCompare(b.instanceId));
  return { items, capped, pages };
}

export function renderOrchestrations(main, scope, params) {
  const f = readFilters(params);
  const go = (changes) => {
    location.hash = hashFor('orchestrations', toParams({ ...f, page: 1, ...changes }));
  };

  // ---- Filters form ----
  const typeInput = h('input', { type: 'text', name: 'type', value: f.type, list: 'orchestration-types', autocomplete: 'off' });
  const types = h('datalist', { id: 'orchestration-types' }, KNOWN_TYPES.map((t) => h('option', { value: t })));
  const statusBoxes = STATUSES.map((st) => h('input', { type: 'checkbox', name: 'status', value: st, checked: f.status.includes(st) }));
  const rangeSelect = h('select', { name: 'range' }, RANGES.map((r) => h('option', { value: r.id, selected: r.id === f.range }, r.label)));
  const fromInput = h('input', { type: 'datetime-local', name: 'from', value: isoToLocal(f.from) });
  const toInput = h('input', { type: 'datetime-local', name: 'to', value: isoToLocal(f.to) });
  const prefixInput = h('input', { type: 'text', name: 'prefix', value: f.prefix, autocomplete: 'off', spellcheck: 'false' });
  const sizeSelect = h('select', { name: 'size' }, [25, 50, 100].map((n) => h('option', { value: String(n), selected: n === f.size }, String(n))));
  const refreshSelect = h('select', { name: 'refresh' }, [['live', 'Live'], ['0', 'Off']].map(([v, l]) => h('option', { value: v, selected: v === f.refresh }, l)));
  const fromField = field('Created from', fromInput);
  const toField = field('Created to', toInput);
  const showCustom = () => {
    fromField.hidden = rangeSelect.value !== 'custom';
    toField.hidden = rangeSelect.value !== 'custom';
  };
  rangeSelect.addEventListener('change', showCustom);
  showCustom();

  const form = h('form', { class: 'filters', 'aria-label': 'Filter orchestrations', id: 'orchestration-filters' },
    field('Type (name contains)', typeInput), types,
    field('Created', rangeSelect), fromField, toField,
    field('Instance id prefix', prefixInput),
    field('Page size', sizeSelect),
    field('Updates', refreshSelect),
    h('fieldset', {}, h('legend', {}, 'Runtime status (none checked: all)'),
      statusBoxes.map((box) => h('label', { class: 'check' }, box, box.value))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
      h('button', { type: 'button', onclick: () => { location.hash = '#/orchestrations'; } }, 'Reset')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (rangeSelect.value === 'custom' && fromInput.value && toInput.value && localToIso(fromInput.value) > localToIso(toInput.value)) {
      fromField.setError('"From" must be before "to".');
      return;
    }

    go({
      type: typeInput.value.trim(),
      status: statusBoxes.filter((b) => b.checked).map((b) => b.value),
      range: rangeSelect.value,
      from: localToIso(fromInput.value),
      to: localToIso(toInput.value),
      prefix: prefixInput.value.trim(),
      size: Number(sizeSelect.value),
      refresh: refreshSelect.value,
    });
  });
  refreshSelect.addEventListener('change', () => form.requestSubmit());

  // ---- Results ----
  const histogram = h('figure', { class: 'histogram', id: 'histogram' });
  const summary = h('p', { class: 'small muted', role: 'status', id: 'orchestrations-summary' });
  const table = h('div', { class: 'table-wrap', id: 'orchestrations-list' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const openForm = h('form', { class: 'inline-form', 'aria-label': 'Open an instance by id' });
  const openInput = h('input', { type: 'text', name: 'instanceId', required: true, spellcheck: 'false', autocomplete: 'off' });
  openForm.append(field('Open instance by id', openInput), h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Open')));
  openForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (openInput.value.trim()) {
      location.hash = hashFor('orchestrations', {}, openInput.value.trim());
    }
  });

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Orchestrations'), h('span', { class: 'small muted', id: 'refreshed' })),
    h('section', { class: 'panel', 'aria-label': 'Filters' }, h('details', { open: true }, h('summary', {}, 'Filters'), form), openForm),
    h('section', { class: 'panel', 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'Instances over time'), histogram),
    h('section', { class: 'panel', 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, 'Instances'), summary, table, pager));

  let controller = null;
  const load = async () => {
    controller?.abort();
    controller = new AbortController();
    let result;
    try {
      result = await fetchInstances(f, controller.signal);
    } catch (error) {
      if (error.name === 'AbortError') {
        return;
      }

      replace(table, errorState(error, 'Orchestrations'));
      replace(histogram);
      summary.textContent = '';
      return;
    }

    document.getElementById('refreshed').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    drawHistogram(histogram, result.items, f);
    const pages = Math.max(1, Math.ceil(result.items.length / f.size));
    const page = Math.min(f.page, pages);
    const shown = result.items.slice((page - 1) * f.size, page * f.size);
    summary.textContent = result.items.length === 0
      ? ''
      : `${result.items.length}${result.capped ? '+' : ''} instance${result.items.length === 1 ? '' : 's'} match, newest first. Showing ${(page - 1) * f.size + 1}–${(page - 1) * f.size + shown.length}.`
        + (result.capped ? ` Only the first ${MAX_INSTANCES} were read: narrow the filters to see the rest.` : '');
    replace(table, result.items.length === 0
      ? h('p', { class: 'empty' }, 'No orchestration matches these filters.')
      : instanceTable(shown));
    replace(pager,
      h('a', { class: 'button small', href: hashFor('orchestrations', toParams({ ...f, page: page - 1 })), 'aria-disabled': page <= 1 ? 'true' : null, hidden: page <= 1 }, '← Newer'),
      h('span', { class: 'small' }, `Page ${page} of ${pages}`),
      h('a', { class: 'button small', href: hashFor('orchestrations', toParams({ ...f, page: page + 1 })), hidden: page >= pages }, 'Older →'));
  };

  scope.add(() => controller?.abort());
  const reader = scope.poll(load, null);
  if (f.refresh === 'live') {
    liveStream(scope, '/api/admin/events').onSync(reader.refresh).on('instance', reader.refresh);
  }
}

/** The list's times have whole seconds (as in Durable Functions), so its durations do too. */
function seconds(ms) {
  return ms < 1000 ? '< 1 s' : duration(Math.round(ms / 1000) * 1000);
}

function customStatusText(value) {
  if (value === null || value === undefined) {
    return '';
  }

  if (typeof value === 'string') {
    return value;
  }

  if (typeof value === 'object') {
    const parts = [value.step, value.status, value.title ?? value.email].filter((x) => typeof x === 'string');
    return parts.length ? parts.join(' · ') : JSON.stringify(value);
  }

  return String(value);
}

function instanceTable(items) {
  return h('table', { id: 'instances-table' },
    h('caption', { class: 'visually-hidden' }, 'Orchestration instances'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Instance id'),
      h('th', { scope: 'col' }, 'Type'),
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col', class: 'hide-narrow' }, 'Duration'),
      h('th', { scope: 'col', class: 'hide-narrow' }, 'Custom status'))),
    h('tbody', {}, items.map((i) => {
      const created = new Date(i.createdTime);
      const updated = new Date(i.lastUpdatedTime);
      const running = ['Running', 'Pending', 'Suspended'].includes(i.runtimeStatus);
      const text = customStatusText(i.customStatus);
      return h('tr', { dataset: { instanceId: i.instanceId, status: i.runtimeStatus } },
        h('td', { class: 'wrap' }, h('a', { class: 'mono', href: hashFor('orchestrations', {}, i.instanceId) }, i.instanceId)),
        h('td', {}, i.name),
        h('td', {}, badge(i.runtimeStatus)),
        h('td', { class: 'nowrap' }, time(i.createdTime)),
        h('td', { class: 'nowrap hide-narrow' }, running ? `${seconds(Date.now() - created)} so far` : seconds(updated - created)),
        h('td', { class: 'wrap small hide-narrow', title: text }, text.length > 90 ? `${text.slice(0, 90)}…` : text));
    })));
}

// ---------- Histogram (inline SVG) ----------

const BUCKETS = [60e3, 5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3, 30 * 86400e3];

function bucketName(ms) {
  const units = [[30 * 86400e3, 'month'], [7 * 86400e3, 'week'], [86400e3, 'day'], [3600e3, 'hour'], [60e3, 'minute']];
  for (const [unit, name] of units) {
    if (ms % unit === 0) {
      const n = ms / unit;
      return n === 1 ? name : `${n} ${name}s`;
    }
  }

  return duration(ms);
}

function drawHistogram(figure, items, f) {
  const now = new Date();
  const w = timeWindow(f, now);
  const times = items.map((i) => new Date(i.createdTime).getTime()).filter(Number.isFinite);
  let end = w.to?.getTime() ?? now.getTime();
  let start = w.from?.getTime() ?? (times.length ? Math.min(...times) : end - 3600e3);
  if (times.length && f.range !== 'custom') {
    // Zoom to the data (at least the last 10 minutes), within the chosen range.
    start = Math.max(start, Math.min(Math.min(...times), end - 10 * 60e3));
  }

  if (end <= start) {
    end = start + 60e3;
  }

  const size = BUCKETS.find((b) => (end - start) / b <= 48) ?? BUCKETS[BUCKETS.length - 1];
  start = Math.floor(start / size) * size;
  const count = Math.max(1, Math.ceil((end - start) / size));
  const buckets = Array.from({ length: count }, () => Object.fromEntries(STATUSES.map((st) => [st, 0])));
  const totals = Object.fromEntries(STATUSES.map((st) => [st, 0]));
  for (const i of items) {
    const t = new Date(i.createdTime).getTime();
    const index = Math.floor((t - start) / size);
    if (index >= 0 && index < count && i.runtimeStatus in totals) {
      buckets[index][i.runtimeStatus]++;
      totals[i.runtimeStatus]++;
    }
  }

  const max = Math.max(1, ...buckets.map((b) => Object.values(b).reduce((a, c) => a + c, 0)));
  const W = 800;
  const H = 180;
  const left = 36;
  const bottom = 22;
  const top = 8;
  const plotW = W - left - 8;
  const plotH = H - top - bottom;
  const barW = plotW / count;
  const label = (ms) => {
    const d = new Date(ms);
    return size >= 86400e3 ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };

  const sizeText = bucketName(size);
  const summaryText = STATUSES.filter((st) => totals[st]).map((st) => `${totals[st]} ${st}`).join(', ') || 'none';
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': 'hist-title hist-desc', id: 'histogram-svg' },
    s('title', { id: 'hist-title' }, `Instances created per ${sizeText}, by runtime status`),
    s('desc', { id: 'hist-desc' }, `From ${new Date(start).toLocaleString()} to ${new Date(end).toLocaleString()}: ${summaryText}.`));

  // Y axis: 0, half, max.
  for (const v of [0, Math.round(max / 2), max]) {
    const y = top + plotH - (v / max) * plotH;
    svg.append(s('line', { class: 'axis', x1: left, x2: W - 8, y1: y, y2: y }), s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, String(v)));
  }

  // X axis labels: about six.
  const every = Math.max(1, Math.ceil(count / 6));
  for (let b = 0; b < count; b += every) {
    svg.append(s('text', { x: left + b * barW, y: H - 6 }, label(start + b * size)));
  }

  buckets.forEach((bucket, b) => {
    const total = Object.values(bucket).reduce((a, c) => a + c, 0);
    if (total === 0) {
      return;
    }

    const from = new Date(start + b * size);
    const to = new Date(start + (b + 1) * size);
    const text = `${from.toLocaleString()} – ${to.toLocaleTimeString()}: ${STATUSES.filter((st) => bucket[st]).map((st) => `${bucket[st]} ${st}`).join(', ')}. Select to filter.`;
    const link = s('a', { href: hashFor('orchestrations', toParams({ ...f, range: 'custom', from: from.toISOString(), to: to.toISOString(), page: 1 })), 'aria-label': text });
    link.append(s('title', {}, text));
    let y = top + plotH;
    for (const st of STATUSES) {
      if (!bucket[st]) {
        continue;
      }

      const hgt = (bucket[st] / max) * plotH;
      y -= hgt;
      link.append(s('rect', { class: st, x: left + b * barW + 1, y, width: Math.max(1, barW - 2), height: hgt }));
    }

    svg.append(link);
  });

  replace(figure,
    svg,
    h('figcaption', {}, `Instances created per ${sizeText} (${items.length} in all), by runtime status, from ${new Date(start).toLocaleString()} to ${new Date(end).toLocaleString()}. Select a bar to filter to its time.`),
    h('ul', { class: 'legend', 'aria-label': 'Totals by status' }, STATUSES.filter((st) => totals[st] || ['Running', 'Completed', 'Failed'].includes(st)).map((st) => h('li', {}, h('span', { class: `swatch ${st}`, 'aria-hidden': 'true' }), `${st}: ${totals[st]}`))));
}
