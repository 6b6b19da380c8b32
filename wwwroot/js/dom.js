// Building the page from data without ever parsing text as HTML: every string becomes a text node or an
// attribute value. Nothing in the dashboards uses innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an element: h('p', { class: 'x', onclick: fn }, 'text', child, [more]). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** Creates an SVG element (same signature as h). */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'readOnly', 'required', 'open', 'multiple']);

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false && !PROPERTIES.has(key)) {
      continue;
    }

    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }

  append(el, children);
  return el;
}

/** Appends strings (as text), nodes and nested arrays; skips null, undefined and false. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }

    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  return parent;
}

/** Replaces the children of an element. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let ids = 0;

/** A unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A labelled form field: { label, input, hint, error } wired with for/aria-describedby. */
export function field(labelText, input, hint) {
  input.id ||= uid('f');
  const parts = [h('label', { for: input.id }, labelText)];
  parts.push(input);
  if (hint) {
    const hintEl = h('div', { class: 'hint', id: uid('hint') }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
    parts.push(hintEl);
  }

  const error = h('div', { class: 'field-error', id: uid('err'), hidden: true });
  parts.push(error);
  const wrapper = h('div', { class: 'field' }, parts);
  wrapper.setError = (message) => {
    error.textContent = message ?? '';
    error.hidden = !message;
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-errormessage', error.id);
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-errormessage');
    }
  };
  wrapper.input = input;
  return wrapper;
}

/** A status badge; the CSS class is the status itself (Running, succeeded, ...). */
export function badge(status, text) {
  return h('span', { class: `badge ${String(status).replace(/[^A-Za-z]/g, '')}` }, text ?? status);
}

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

/** A <time> element with the local date and time, and the exact ISO time as its title. */
export function time(iso, { relative = false } = {}) {
  if (!iso) {
    return h('span', { class: 'muted' }, '—');
  }

  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return h('span', {}, String(iso));
  }

  const text = relative ? ago(date) : dateTime.format(date);
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, text);
}

export function clock(date) {
  return timeOnly.format(date);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function ago(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  if (seconds < 0) {
    const ahead = -seconds;
    return ahead < 5400 ? `in ${Math.max(1, Math.round(ahead / 60))} min` : ahead < 172800 ? `in ${Math.round(ahead / 3600)} h` : `in ${Math.round(ahead / 86400)} days`;
  }

  if (seconds < 10) {
    return 'just now';
  }

  if (seconds < 60) {
    return `${seconds} s ago`;
  }

  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }

  const hours = Math.round(minutes / 60);
  if (hours < 48) {
    return `${hours} h ago`;
  }

  return `${Math.round(hours / 24)} days ago`;
}

/** A short human duration: 850 ms, 4.2 s, 3 min 5 s, 2 h 10 min, 3 days. */
export function duration(ms) {
  if (!Number.isFinite(ms)) {
    return '—';
  }

  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }

  const s = ms / 1000;
  if (s < 60) {
    return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  }

  const m = Math.floor(s / 60);
  if (m < 60) {
    const rest = Math.round(s - m * 60);
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }

  const hours = Math.floor(m / 60);
  if (hours < 48) {
    const rest = m - hours * 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }

  return `${Math.round(hours / 24)} days`;
}

/** Pretty JSON in a <pre>, with secrets masked when asked. */
export function json(value, { mask = false, label } = {}) {
  const text = value === undefined || value === null ? 'null' : JSON.stringify(mask ? masked(value) : value, null, 2);
  return h('pre', { class: 'json', tabindex: '0', 'aria-label': label }, text);
}

const SECRET_KEY = /tokenhash|sealed|secret|refreshtoken|password|apikey/i;

/** Copies a value with the values of secret-looking keys replaced. */
export function masked(value) {
  if (Array.isArray(value)) {
    return value.map(masked);
  }

  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null ? '(hidden)' : masked(v)]));
  }

  return value;
}

/** A notice box. kind: error | ok | warn | info. */
export function notice(kind, title, ...body) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    title ? h('strong', { class: 'title' }, title) : null, body);
}

/** Converts <input type=datetime-local> value (local time) to ISO, or '' when empty. */
export function localToIso(value) {
  if (!value) {
    return '';
  }

  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** Converts ISO to a datetime-local value in local time. */
export function isoToLocal(iso) {
  if (!iso) {
    return '';
  }

  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return '';
  }

  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Copies text to the clipboard; falls back to selecting the input. */
export async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    input?.select();
    return false;
  }
}

/** A read-only field with a secret link and a Copy button. */
export function secretLink(labelText, url) {
  const input = h('input', { type: 'text', readOnly: true, value: url, class: 'mono', spellcheck: 'false' });
  const status = h('span', { class: 'hint', role: 'status' });
  const button = h('button', {
    type: 'button',
    class: 'small',
    onclick: async () => {
      status.textContent = (await copy(url, input)) ? 'Copied.' : 'Selected: press Ctrl+C to copy.';
    },
  }, 'Copy');
  const f = field(labelText, input);
  f.querySelector('.field-error').before(h('div', { class: 'secret-link' }, button, status));
  return f;
}
