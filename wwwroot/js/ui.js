// Shared pieces of the dashboards: confirmation dialogs, polling with clean-up, error states.

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
   * Runs fn now and then again after `interval` ms (a number or a function returning one), one run at a time.
   * Returns { refresh() } to run it again at once.
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
          } else {
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
