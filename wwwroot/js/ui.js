// Shared pieces of the dashboards: confirmation dialogs, refreshes and live streams with clean-up, error states.

import { api } from './api.js';
import { h, notice, field, uid } from './dom.js';

/**
 * Asks for confirmation in a modal <dialog> (keyboard: Tab between controls, Esc cancels).
 * With `input`, asks for a text too (a reason, an event name...). Resolves { ok, value }.
 */
export function confirmDialog({ title, message, confirmText = 'Confirm', danger = false, input = null }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    let textInput = null;
    let inputField = null;
    if (input) {
      textInput = input.multiline
        ? h('textarea', { placeholder: input.placeholder ?? '', required: !!input.required, value: input.value ?? '' })
        : h('input', { type: 'text', placeholder: input.placeholder ?? '', required: !!input.required, value: input.value ?? '' });
      inputField = field(input.label, textInput, input.hint);
    }

    // The confirm button is the form's only submit button, so that Enter in the text field confirms; Cancel and Esc
    // close the dialog without a return value.
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', { method: 'dialog' },
      h('h2', { id: titleId }, title),
      message ? h('p', {}, message) : null,
      inputField,
      h('div', { class: 'actions' },
        cancel,
        h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary' }, confirmText)));
    const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
    cancel.addEventListener('click', () => dialog.close(''));
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'ok';
      dialog.remove();
      resolve({ ok, value: textInput?.value ?? '' });
    });
    document.body.append(dialog);
    dialog.showModal();
    (textInput ?? form.querySelector('button[value="ok"]')).focus();
  });
}

/** Owns the timers and listeners of one view, so that leaving the view stops them all. */
export class Scope {
  #disposers = [];
  #disposed = false;

  get disposed() {
    return this.#disposed;
  }

  /**
   * Runs fn now and then again after `interval` ms (a number or a function returning one; null: only when asked),
   * one run at a time: a refresh asked for while it runs runs once more after it. Returns { refresh() } to run it again
   * at once.
   */
  poll(fn, interval) {
    let timer = null;
    let running = false;
    let again = false;
    const tick = async () => {
      if (this.#disposed) {
        return;
      }

      if (running) {
        again = true;
        return;
      }

      running = true;
      clearTimeout(timer);
      try {
        await fn();
      } catch (error) {
        console.error(error);
      } finally {
        running = false;
        if (!this.#disposed) {
          if (again) {
            again = false;
            timer = setTimeout(tick, 0);
          } else if (interval !== null) {
            timer = setTimeout(tick, typeof interval === 'function' ? interval() : interval);
          }
        }
      }
    };
    this.#disposers.push(() => clearTimeout(timer));
    tick();
    return { refresh: tick };
  }

  on(target, event, handler) {
    target.addEventListener(event, handler);
    this.#disposers.push(() => target.removeEventListener(event, handler));
  }

  add(disposer) {
    this.#disposers.push(disposer);
  }

  dispose() {
    this.#disposed = true;
    this.#disposers.splice(0).forEach((d) => d());
  }
}

/** The event types of the hub's streams that views listen to (docs/http-api.md, "Live updates"). */
const LIVE_TYPES = ['message', 'proposal', 'agent', 'inbox', 'instance', 'grant'];

/** After this many failures in a row without the stream opening, views also re-read on a slow timer. */
const FALLBACK_AFTER = 3;
const FALLBACK_INTERVAL = 30000;

/**
 * Follows one of the hub's event streams (server-sent events, GET /api/agents/{id}/events or /api/admin/events) for
 * the life of a view. `on(type, handler)` gets the events of a type (their JSON data); `onSync(fn)` runs whenever the
 * view must read everything again: each time the stream opens or reopens (its `ready` event), on `reset`, and — only
 * while the stream keeps failing — every 30 s as a fallback. The browser reconnects a dropped stream by itself (resuming
 * with Last-Event-ID); a stream it gives up on (refused, or the hub away) is reopened here after a pause, and a 401
 * shows the signed-out page. `document.body.dataset.live` says "open" while the stream is up.
 */
export function liveStream(scope, url) {
  const handlers = new Map(LIVE_TYPES.map((type) => [type, []]));
  const syncs = [];
  let source = null;
  let failures = 0;
  let fallback = null;
  let reopen = null;

  const sync = () => syncs.forEach((fn) => fn());
  const setState = (state) => {
    document.body.dataset.live = state;
  };
  const startFallback = () => {
    if (fallback === null) {
      fallback = setInterval(sync, FALLBACK_INTERVAL);
    }
  };
  const stopFallback = () => {
    clearInterval(fallback);
    fallback = null;
  };

  const open = () => {
    if (scope.disposed) {
      return;
    }

    source = new EventSource(url);
    source.addEventListener('ready', () => {
      failures = 0;
      stopFallback();
      setState('open');
      sync();
    });
    source.addEventListener('reset', sync);
    for (const type of LIVE_TYPES) {
      source.addEventListener(type, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }

        handlers.get(type).forEach((handler) => handler(data));
      });
    }

    source.addEventListener('error', () => {
      failures++;
      setState('reconnecting');
      if (failures >= FALLBACK_AFTER) {
        startFallback();
      }

      if (source.readyState !== EventSource.CLOSED) {
        return; // the browser reconnects by itself
      }

      // Refused or not a stream: a 401 (the link was replaced or revoked) shows the signed-out page through api();
      // anything else is tried again after a pause that grows with each failure.
      source.close();
      api('/api/me').catch(() => {}).finally(() => {
        if (!scope.disposed && document.body.dataset.signedOut !== 'true') {
          reopen = setTimeout(open, Math.min(30000, 1000 * 2 ** Math.min(failures, 5)));
        }
      });
    });
  };

  scope.add(() => {
    source?.close();
    clearTimeout(reopen);
    stopFallback();
    delete document.body.dataset.live;
  });
  queueMicrotask(open);
  const live = {
    on(type, handler) {
      handlers.get(type).push(handler);
      return live;
    },
    onSync(fn) {
      syncs.push(fn);
      return live;
    },
  };
  return live;
}

/** The state to show when a load fails: "not available yet" for a route this hub lacks, else the error. */
export function errorState(error, what) {
  if (error?.missing) {
    return notice('warn', `${what}: not available on this hub yet`, h('p', {}, error.message));
  }

  return notice('error', `${what}: could not load`, h('p', {}, error?.message ?? String(error)));
}

/** A small live status line for the result of an action. */
export function statusLine() {
  const el = h('p', { class: 'small', role: 'status', 'aria-live': 'polite' });
  el.show = (kind, text) => {
    el.className = `small notice ${kind}`;
    el.textContent = text;
  };
  /** Tells screen readers only (the page already shows the same thing). */
  el.announce = (text) => {
    el.className = 'visually-hidden';
    el.textContent = text;
  };
  el.clear = () => {
    el.className = 'small';
    el.textContent = '';
  };
  return el;
}

/** Marks the fields named in a problem's `errors` (keys like "payload.to" or "changes.text"). Returns unmatched messages. */
export function showFieldErrors(error, fields, prefixes = []) {
  const rest = [];
  for (const f of Object.values(fields)) {
    f.setError?.(null);
  }

  for (const [key, messages] of Object.entries(error?.errors ?? {})) {
    let name = key;
    for (const prefix of prefixes) {
      if (name.startsWith(prefix)) {
        name = name.slice(prefix.length);
      }
    }

    const target = fields[name] ?? fields[name.split('.')[0]] ?? fields[name.split('[')[0]];
    const text = [messages].flat().join(' ');
    if (target) {
      target.setError(text);
    } else {
      rest.push(text);
    }
  }

  return rest;
}
