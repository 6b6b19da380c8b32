// Personas and memory, on the person page and the admin's Personas section: the editable part of an agent's system
// prompt (tone and standing instructions, versioned: earlier versions can be restored) and the facts an agent
// remembered for its person. The safety rules are not editable and are not shown as if they were.

import { api, enc } from './api.js';
import { h, replace, field, time, notice } from './dom.js';
import { confirmDialog, errorState, statusLine, showFieldErrors } from './ui.js';

/**
 * A persona editor. path: the persona's API route (GET/PUT, and path + '/versions'); title: the panel's heading;
 * intro: what it changes; disabled: true for a disabled agent.
 */
export function personaPanel({ path, title, intro, headingId, disabled = false }) {
  const body = h('div', {}, h('p', { class: 'loading' }, 'Loading…'));
  const section = h('section', { class: 'panel', 'aria-labelledby': headingId },
    h('div', { class: 'panel-head' }, h('h2', { id: headingId }, title)),
    h('p', { class: 'small' }, intro),
    body);

  async function load() {
    try {
      const [{ data: view }, { data: versions }] = await Promise.all([api(path), api(`${path}/versions`)]);
      render(view, versions ?? []);
    } catch (error) {
      replace(body, errorState(error, title));
    }
  }

  function render(view, versions) {
    const tone = h('input', { type: 'text', name: 'tone', maxlength: view.limits.tone, value: view.tone, placeholder: view.builtIn.tone, disabled });
    const instructions = h('textarea', { name: 'instructions', rows: 6, maxlength: view.limits.instructions, disabled, placeholder: view.builtIn.instructions || 'None' });
    instructions.value = view.instructions;
    const fields = {
      tone: field('Tone', tone, `How it sounds, at most ${view.limits.tone} characters. Empty: the built-in.`),
      instructions: field('Standing instructions', instructions, `At most ${view.limits.instructions} characters. Empty: the built-in.`),
    };
    const status = statusLine();
    const save = h('button', { type: 'submit', class: 'primary', disabled }, 'Save as a new version');
    const form = h('form', { 'aria-label': title }, fields.tone, fields.instructions,
      h('p', { class: 'small' }, 'The safety rules (every write waits for approval; privacy toward other agents) always apply and cannot be changed here.'),
      h('div', { class: 'actions' }, save), status);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      showFieldErrors(null, fields);
      save.disabled = true;
      try {
        await api(path, { method: 'PUT', body: { tone: tone.value, instructions: instructions.value } });
        await load();
      } catch (error) {
        const rest = showFieldErrors(error, fields);
        status.show('error', rest.length ? rest.join(' ') : error.message);
        save.disabled = disabled;
      }
    });

    const current = view.version
      ? h('p', { class: 'small' }, `Version ${view.version}, saved by ${view.savedBy} `, time(view.savedAt), view.restoredFrom ? ` (restores version ${view.restoredFrom})` : '')
      : h('p', { class: 'small' }, view.usesDefault ? 'Not saved yet: the company default applies.' : 'Not saved yet: the built-in applies.');
    replace(body, current, form, versionsList(versions, disabled, async (version) => {
      const { ok } = await confirmDialog({ title: `Restore version ${version}?`, message: 'It is saved again as a new version; nothing is lost.', confirmText: 'Restore' });
      if (!ok) {
        return;
      }

      try {
        await api(path, { method: 'PUT', body: { restoreVersion: version } });
        await load();
      } catch (error) {
        status.show('error', error.message);
      }
    }));
  }

  load();
  return section;
}

function versionsList(versions, disabled, restore) {
  if (versions.length === 0) {
    return null;
  }

  return h('details', {}, h('summary', {}, `Earlier versions (${versions.length})`),
    h('ol', { class: 'versions', reversed: true }, versions.map((v) => h('li', {},
      h('p', { class: 'small' }, `Version ${v.version} by ${v.savedBy} `, time(v.savedAt)),
      h('p', {}, h('strong', {}, 'Tone: '), v.tone || '(built-in)'),
      h('p', { class: 'wrap' }, h('strong', {}, 'Instructions: '), v.instructions || '(built-in)'),
      h('button', { type: 'button', disabled, onclick: () => restore(v.version) }, `Restore version ${v.version}`)))));
}

/** The facts an agent remembered for its person, each with a delete button. */
export function memoryPanel(agent, asAdmin) {
  const body = h('div');
  const status = statusLine();
  const whose = asAdmin ? `${agent.name || agent.agentId}` : 'you';

  async function load() {
    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}/memory`);
      const facts = data?.facts ?? [];
      replace(body, facts.length === 0
        ? h('p', { class: 'empty' }, 'Nothing remembered.')
        : h('ul', { class: 'memory' }, facts.map((f) => h('li', {},
          h('span', { class: 'wrap' }, f.text), ' ', h('span', { class: 'small' }, time(f.at)), ' ',
          h('button', { type: 'button', 'aria-label': `Forget: ${f.text}`, onclick: () => forget(f) }, 'Delete')))),
      h('p', { class: 'small' }, `${facts.length} of ${data?.limit ?? 50}`));
    } catch (error) {
      replace(body, errorState(error, 'Memory'));
    }
  }

  async function forget(fact) {
    try {
      await api(`/api/agents/${enc(agent.agentId)}/memory/${enc(fact.id)}`, { method: 'DELETE' });
      status.show('ok', 'Deleted.');
      await load();
    } catch (error) {
      status.show('error', `Not deleted: ${error.message}`);
    }
  }

  load();
  return h('section', { class: 'panel', 'aria-labelledby': 'memory-h' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'memory-h' }, 'Memory')),
    h('p', { class: 'small' }, `What the agent remembered because ${whose} asked it to. It uses these in its own conversations, never when it answers another agent.`),
    body, status);
}

/** The admin's Personas section: the orchestrator's instructions and the default persona of agents. */
export function renderPersonas(main) {
  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Personas')),
    notice('info', 'What is editable', h('p', {}, 'Tone and standing instructions only. The safety rules come after them in every prompt and always apply.')),
    personaPanel({ path: '/api/admin/personas/orchestrator', title: 'Orchestrator', headingId: 'persona-orchestrator-h', intro: 'The Company Hub\'s own instructions (empty: the built-in ones, shown as the placeholder).' }),
    personaPanel({ path: '/api/admin/personas/default', title: 'Default for agents', headingId: 'persona-default-h', intro: 'For every agent whose person has not saved their own persona.' }));
}
