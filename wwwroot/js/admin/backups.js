// Admin › Health › Backups: the last encrypted snapshot in S3, its age, the last error, and "Back up now".

import { api } from '../api.js';
import { h, replace, time, ago, badge, notice } from '../dom.js';
import { errorState, statusLine } from '../ui.js';

/** Fills `container` with the backup status; returns a function that refreshes it. */
export function backupsPanel(container) {
  const status = statusLine();
  status.id = 'backup-status';
  const content = h('div', {});
  const button = h('button', { type: 'button', id: 'backup-now', onclick: () => backUpNow() }, 'Back up now');
  replace(container, content, h('p', {}, button), status);

  async function refresh() {
    try {
      const { data } = await api('/api/admin/backups');
      render(content, data);
      button.hidden = !data?.enabled;
    } catch (error) {
      replace(content, errorState(error, 'The backup status'));
    }
  }

  async function backUpNow() {
    button.disabled = true;
    status.show('info', 'Taking a snapshot and uploading it…');
    try {
      const { data } = await api('/api/admin/backups', { method: 'POST' });
      status.show('ok', `Snapshot ${data.id} uploaded and read back as sent (SHA-256 ${data.sha256.slice(0, 12)}…): ${size(data.size)} in ${data.parts} part(s), ${data.files.length} database(s)${data.deleted.length ? `; ${data.deleted.length} old snapshot(s) deleted` : ''}.`);
    } catch (error) {
      status.show('error', error.message);
    } finally {
      button.disabled = false;
      await refresh();
    }
  }

  return refresh;
}

function render(container, b) {
  if (!b?.enabled) {
    replace(container, h('p', { class: 'muted', id: 'backups-off' },
      'Backups are off. Set S3_BUCKET (with S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) to keep encrypted snapshots in S3.'));
    return;
  }

  const last = b.lastBackup;
  const stale = last && last.ageSeconds > Math.max(3 * (b.intervalSeconds ?? 60), 600);
  replace(container,
    b.paused ? notice('warn', 'Scheduled backups are paused', b.paused) : null,
    b.lastError ? notice('error', 'The last backup failed', h('span', { id: 'backup-error' }, b.lastError.message), ' ', time(b.lastError.at, { relative: true })) : null,
    b.restoredAtStart ? notice('info', 'Restored at start-up', `from snapshot ${b.restoredAtStart.id} taken `, time(b.restoredAtStart.createdAt)) : null,
    h('dl', { class: 'props', id: 'backup-facts' },
      h('dt', {}, 'Bucket'), h('dd', { class: 'mono' }, b.target),
      h('dt', {}, 'Last backup'), h('dd', { id: 'backup-last' }, last
        ? [badge(stale ? 'bad' : 'ok', ago(new Date(last.createdAt))), ' ', time(last.createdAt), ` · ${size(last.size)} · ${last.reason}`]
        : h('span', { class: 'muted' }, 'none yet')),
      h('dt', {}, 'Schedule'), h('dd', {}, `every ${b.intervalSeconds} s when something changed; the newest ${b.retention} are kept`)),
    h('details', {}, h('summary', {}, `Snapshots in the bucket (${b.snapshots.length})`),
      h('table', { id: 'snapshots' },
        h('thead', {}, h('tr', {}, ['Snapshot', 'Taken', 'Size', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, b.snapshots.map((s) => h('tr', {},
          h('td', { class: 'mono' }, s.id),
          h('td', {}, time(s.createdAt)),
          h('td', {}, size(s.size)),
          h('td', {}, s.refused ? badge('bad', `refused: ${s.refused}`) : badge('ok', s.reason ?? 'ok'))))))));
}

function size(bytes) {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KiB` : `${bytes} B`;
}
