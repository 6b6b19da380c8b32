// The admin dashboard's sections and its hash router: #/<section>[/<id>][?filters]. Filters live in the hash so
// that a view can be bookmarked and the back button works.

import { replace } from '../dom.js';
import { renderAgents } from './agents.js';
import { renderOnboarding } from './onboarding.js';
import { renderOrchestrations } from './orchestrations.js';
import { renderInstance } from './instance.js';
import { renderEntities } from './entities.js';
import { renderAudit } from './audit.js';
import { renderBroadcast } from './broadcast.js';
import { renderHealth } from './health.js';
import { renderGrants } from './grants.js';
import { renderKnowledge } from './knowledge.js';
import { renderPersonas } from '../persona.js';

export const ADMIN_SECTIONS = [
  { id: 'agents', title: 'Agents', render: renderAgents },
  { id: 'onboarding', title: 'Onboarding', render: renderOnboarding },
  { id: 'orchestrations', title: 'Orchestrations', render: renderOrchestrations, detail: renderInstance },
  { id: 'entities', title: 'Entities', render: renderEntities },
  { id: 'grants', title: 'Grants', render: renderGrants },
  { id: 'audit', title: 'Audit log', render: renderAudit },
  { id: 'broadcast', title: 'Broadcast', render: renderBroadcast },
  { id: 'knowledge', title: 'Knowledge', render: renderKnowledge },
  { id: 'personas', title: 'Personas', render: renderPersonas },
  { id: 'health', title: 'Health', render: renderHealth },
];

/** Parses "#/orchestrations/abc?status=Running" into { section, id, params }. */
export function parseHash(hash) {
  const text = hash.startsWith('#/') ? hash.slice(2) : '';
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  const slash = path.indexOf('/');
  return {
    section: slash < 0 ? path : path.slice(0, slash),
    id: slash < 0 ? null : decodeURIComponent(path.slice(slash + 1)),
    params,
  };
}

/** Builds a hash for a section with filters (empty values dropped). */
export function hashFor(section, params = {}, id = null) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(key, String(value));
    }
  }

  const q = search.toString();
  return `#/${section}${id ? `/${encodeURIComponent(id)}` : ''}${q ? `?${q}` : ''}`;
}

/** Renders the section the hash names (Agents by default); returns its id. */
export function renderAdmin(main, scope, hash) {
  const route = parseHash(hash);
  const section = ADMIN_SECTIONS.find((s) => s.id === route.section) ?? ADMIN_SECTIONS[0];
  const previous = main.dataset.section;
  main.dataset.section = section.id;
  replace(main);
  document.title = `${section.title} · Company Hub admin`;
  if (route.id && section.detail) {
    section.detail(main, scope, route.id, route.params);
  } else {
    section.render(main, scope, route.params);
  }

  // Moving between sections moves the focus to the new content (as a page load would); the first view keeps it at
  // the top of the page, so that the skip link comes first.
  if (previous && (previous !== section.id || route.id)) {
    main.focus({ preventScroll: true });
  }

  return section.id;
}
