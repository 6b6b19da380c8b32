// Admin › Onboarding: invite someone (email, name); the pipeline of onboardings by step; invite link, resend, cancel.

import { api, enc } from '../api.js';
import { h, replace, field, time, notice, secretLink } from '../dom.js';
import { confirmDialog, errorState, statusLine, showFieldErrors, liveStream } from '../ui.js';

const STAGES = [
  { step: 'Validating', title: 'Validating' },
  { step: 'InviteSent', title: 'Invite sent' },
  { step: 'AwaitingOAuth', title: 'Awaiting sign-in' },
  { step: 'CreatingAgent', title: 'Creating agent' },
  { step: 'Active', title: 'Active' },
  { step: 'Expired', title: 'Expired' },
  { step: 'Cancelled', title: 'Cancelled' },
  { step: 'Failed', title: 'Failed' },
];
const OPEN_STEPS = new Set(['InviteSent', 'AwaitingOAuth']);

function stageOf(step) {
  return step?.startsWith('Failed') ? 'Failed' : step;
}

export function renderOnboarding(main, scope) {
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'off', placeholder: 'alice@company.com' });
  const name = h('input', { type: 'text', name: 'name', required: true, autocomplete: 'off', placeholder: 'Alice Example' });
  const fields = { email: field('Email', email), name: field('Name', name) };
  const status = statusLine();
  status.id = 'invite-status';
  const linkOut = h('div', { id: 'invite-link' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send invite');
  const form = h('form', { class: 'inline-form', 'aria-label': 'Invite someone' }, fields.email, fields.name, h('div', { class: 'field' }, submit));
  const pipeline = h('div', { id: 'pipeline' });

  replace(main,
    h('div', { class: 'page-head' }, h('h1', {}, 'Onboarding')),
    h('section', { class: 'panel', 'aria-labelledby': 'invite-h' },
      h('h2', { id: 'invite-h' }, 'Invite someone'),
      h('p', { class: 'small muted' }, 'They get an email with an invite link; after they sign in with Google, their agent is created and they receive their private dashboard link.'),
      form, status, linkOut),
    h('section', { class: 'panel', 'aria-labelledby': 'pipeline-h' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'pipeline-h' }, 'Pipeline')),
      pipeline));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.clear();
    showFieldErrors(null, fields);
    if (!form.reportValidity()) {
      return;
    }

    submit.disabled = true;
    try {
      const { data } = await api('/api/admin/onboardings', { method: 'POST', body: { email: email.value.trim(), name: name.value.trim() } });
      status.show('ok', `Invite on its way to ${email.value.trim()} (step: ${data?.step ?? 'started'}).`);
      form.reset();
      poller.refresh();
    } catch (error) {
      const rest = showFieldErrors(error, fields);
      status.show(error.missing ? 'warn' : 'error', rest.length ? rest.join(' ') : error.message);
    } finally {
      submit.disabled = false;
    }
  });

  const poller = scope.poll(async () => {
    let items;
    try {
      items = (await api('/api/admin/onboardings')).data ?? [];
    } catch (error) {
      replace(pipeline, errorState(error, 'The onboarding pipeline'));
      return;
    }

    const byStage = new Map(STAGES.map((s) => [s.step, []]));
    for (const item of items) {
      const stage = stageOf(item.step);
      if (!byStage.has(stage)) {
        byStage.set(stage, []);
      }

      byStage.get(stage).push(item);
    }

    replace(pipeline, items.length === 0 ? h('p', { class: 'empty' }, 'No onboardings yet. Invite someone above.') : h('div', { class: 'pipeline' },
      [...byStage].map(([step, list]) => {
        const headingId = `stage-${step}`;
        return h('section', { class: 'stage', 'aria-labelledby': headingId, dataset: { step } },
          h('h3', { id: headingId }, STAGES.find((s) => s.step === step)?.title ?? step, h('span', { class: 'badge' }, String(list.length))),
          list.length === 0 ? h('p', { class: 'small muted' }, 'none') : h('ol', {}, list.map((o) => onboardingItem(o))));
      })));
  }, null);
  liveStream(scope, '/api/admin/events').onSync(poller.refresh).on('instance', (changed) => {
    if (changed.name === 'OnboardingOrchestration') {
      poller.refresh();
    }
  });

  function onboardingItem(o) {
    const open = OPEN_STEPS.has(o.step);
    return h('li', { dataset: { onboardingId: o.onboardingId } },
      h('strong', {}, o.name || o.email), h('div', { class: 'small' }, o.email),
      h('div', { class: 'small muted' }, `by ${o.initiatedBy ?? '—'} · `, time(o.createdAt, { relative: true }),
        open && o.expiresAt ? [' · expires ', time(o.expiresAt, { relative: true })] : null),
      o.agentId && o.step === 'Active' ? h('div', { class: 'small' }, h('a', { href: `/?agent=${enc(o.agentId)}` }, o.agentId)) : null,
      o.message ? h('p', { class: 'small' }, o.message) : null,
      h('div', { class: 'small muted' }, h('a', { href: `/#/orchestrations/${enc(o.onboardingId)}` }, 'orchestration')),
      open ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'small', onclick: () => showInvite(o) }, 'Invite link'),
        h('button', { type: 'button', class: 'small', onclick: () => resend(o) }, 'Resend'),
        h('button', { type: 'button', class: 'small', onclick: () => cancel(o) }, 'Cancel')) : null);
  }

  async function showInvite(o) {
    try {
      const { data } = await api(`/api/admin/onboardings/${enc(o.onboardingId)}/invite`);
      replace(linkOut, secretLink(`Invite link for ${o.email}`, data.inviteUrl));
      linkOut.querySelector('input')?.focus();
    } catch (error) {
      replace(linkOut, notice('error', 'No invite link', h('p', {}, error.message)));
    }
  }

  async function resend(o) {
    try {
      const { data } = await api(`/api/admin/onboardings/${enc(o.onboardingId)}/resend`, { method: 'POST' });
      status.show('ok', `Invite sent again to ${o.email}; it now expires ${data?.expiresAt ? new Date(data.expiresAt).toLocaleString() : 'later'}.`);
      poller.refresh();
    } catch (error) {
      status.show('error', error.message);
    }
  }

  async function cancel(o) {
    const { ok } = await confirmDialog({
      title: `Cancel the invite for ${o.email}?`,
      message: 'The invite link stops working. You can invite them again later.',
      confirmText: 'Cancel invite',
      danger: true,
    });
    if (!ok) {
      return;
    }

    try {
      await api(`/api/admin/onboardings/${enc(o.onboardingId)}/cancel`, { method: 'POST' });
      status.show('ok', `The invite for ${o.email} was cancelled.`);
      poller.refresh();
    } catch (error) {
      status.show('error', error.message);
    }
  }
}
