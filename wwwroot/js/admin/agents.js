// Admin › Agents: every agent with its status and last activity; open its page, make a new link, offboard. The list
// is read again when the admin stream says an agent changed.

import { api, enc } from '../api.js';
import { h, replace, badge, time, notice, secretLink } from '../dom.js';
import { confirmDialog, errorState, liveStream } from '../ui.js';

export function renderAgents(main, scope) {
  const table = h('div', { class: 'table-wrap' });
  const out = h('div', { id: 'agent-action-result' });
  replace(main,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Agents'),
      h('a', { class: 'button', href: '/#/onboarding' }, 'Invite someone')),
    out,
    h('section', { class: 'panel', 'aria-label': 'Agents' }, table));

  const poller = scope.poll(async () => {
    let agents;
    try {
      agents = (await api('/api/agents')).data ?? [];
    } catch (error) {
      replace(table, errorState(error, 'Agents'));
      return;
    }

    if (agents.length === 0) {
      replace(table, h('p', { class: 'empty' }, 'No agents yet. Invite someone from Onboarding.'));
      return;
    }

    replace(table, h('table', { id: 'agents-table' },
      h('caption', { class: 'visually-hidden' }, 'Agents, their status and last activity'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Agent'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Waiting'),
        h('th', { scope: 'col' }, 'Last activity'),
        h('th', { scope: 'col', class: 'hide-narrow' }, 'Created'),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, agents.map((a) => h('tr', { dataset: { agentId: a.agentId } },
        h('td', {},
          h('a', { href: `/?agent=${enc(a.agentId)}` }, h('strong', {}, a.name || a.agentId)),
          h('div', { class: 'small muted' }, a.email ? `${a.email} · ` : '', h('span', { class: 'mono' }, a.agentId))),
        h('td', {}, badge(a.status), a.working ? [' ', badge('working', 'working…')] : null),
        h('td', {}, a.pendingProposals ? `${a.pendingProposals} proposal${a.pendingProposals === 1 ? '' : 's'}` : h('span', { class: 'muted' }, 'none')),
        h('td', { class: 'nowrap' }, time(a.lastActiveAt, { relative: true })),
        h('td', { class: 'nowrap hide-narrow' }, time(a.createdAt)),
        h('td', {}, h('div', { class: 'actions' },
          h('a', { class: 'button small', href: `/?agent=${enc(a.agentId)}`, 'aria-label': `Open ${a.name || a.agentId}'s page` }, 'Open'),
          a.status === 'active' && a.agentId !== 'orchestrator' ? [
            h('button', { type: 'button', class: 'small', onclick: () => newLink(a), 'aria-label': `New link for ${a.name || a.agentId}` }, 'New link'),
            h('button', { type: 'button', class: 'small', onclick: () => offboard(a), 'aria-label': `Offboard ${a.name || a.agentId}` }, 'Offboard'),
          ] : null)))))));
  }, null);
  liveStream(scope, '/api/admin/events').onSync(poller.refresh).on('agent', poller.refresh);

  async function newLink(agent) {
    const { ok } = await confirmDialog({
      title: `New dashboard link for ${agent.name || agent.agentId}`,
      message: 'Their current link stops working at once. The new link is shown only once: send it to them privately.',
      confirmText: 'Make a new link',
    });
    if (!ok) {
      return;
    }

    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}/token/rotate`, { method: 'POST' });
      replace(out, h('section', { class: 'panel' },
        notice('ok', `New link for ${agent.name || agent.agentId}`, h('p', {}, 'Shown only this once. Send it privately; the old link no longer works.')),
        secretLink('Dashboard link', data.dashboardUrl)));
      out.querySelector('input')?.focus();
    } catch (error) {
      replace(out, notice('error', 'No new link', h('p', {}, error.message)));
    }
  }

  async function offboard(agent) {
    const { ok } = await confirmDialog({
      title: `Offboard ${agent.name || agent.agentId}?`,
      message: 'The agent is disabled, its link stops working and its pending proposals are cancelled. Its history is kept.',
      confirmText: 'Offboard',
      danger: true,
    });
    if (!ok) {
      return;
    }

    try {
      const { data } = await api(`/api/agents/${enc(agent.agentId)}`, { method: 'DELETE' });
      replace(out, notice('ok', `${agent.name || agent.agentId} was offboarded`, h('p', {}, `${data.cancelledProposals} pending proposal(s) cancelled.`)));
    } catch (error) {
      replace(out, notice('error', 'Offboarding failed', h('p', {}, error.message)));
    }

    poller.refresh();
  }
}
