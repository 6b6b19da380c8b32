// A small, safe Markdown renderer for the Action Proposal card (and agent text): paragraphs, **bold**, `code`,
// [links](https://...), > quotes, - lists, --- rules and # headings. It builds DOM nodes from text nodes only, so
// whatever the text holds (<script>, <img onerror=...>) is shown as text, never parsed as HTML.

import { h } from './dom.js';

const INLINE = /\*\*([^*]+?)\*\*|`([^`]+)`|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;

/** Renders inline Markdown as an array of nodes. */
export function inline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) {
      nodes.push(document.createTextNode(text.slice(last, match.index)));
    }

    if (match[1] !== undefined) {
      nodes.push(h('strong', {}, match[1]));
    } else if (match[2] !== undefined) {
      nodes.push(h('code', {}, match[2]));
    } else {
      nodes.push(h('a', { href: match[4], rel: 'noopener noreferrer nofollow', target: '_blank' }, match[3]));
    }

    last = match.index + match[0].length;
  }

  if (last < text.length) {
    nodes.push(document.createTextNode(text.slice(last)));
  }

  return nodes;
}

/** Renders a Markdown document into a <div class="md">. */
export function markdown(source) {
  const root = h('div', { class: 'md' });
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i += 1;
      continue;
    }

    if (/^\s*(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      root.append(h('hr'));
      i += 1;
      continue;
    }

    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      root.append(h('p', {}, h('strong', {}, inline(heading[2]))));
      i += 1;
      continue;
    }

    if (/^\s*>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) {
        quoted.push(lines[i].replace(/^\s*> ?/, ''));
        i += 1;
      }

      root.append(h('blockquote', {}, inline(quoted.join('\n'))));
      continue;
    }

    if (/^\s*[-*+]\s+/.test(line)) {
      const list = h('ul');
      while (i < lines.length && /^\s*[-*+]\s+/.test(lines[i])) {
        list.append(h('li', {}, inline(lines[i].replace(/^\s*[-*+]\s+/, ''))));
        i += 1;
      }

      root.append(list);
      continue;
    }

    const paragraph = h('p');
    let first = true;
    while (i < lines.length && lines[i].trim() !== '' && !/^\s*(>|[-*+]\s|#{1,6}\s|-{3,}\s*$)/.test(lines[i])) {
      if (!first) {
        paragraph.append(h('br'));
      }

      paragraph.append(...inline(lines[i]));
      first = false;
      i += 1;
    }

    if (first) {
      // A line no rule above took: keep it as text rather than loop on it.
      paragraph.append(...inline(lines[i]));
      i += 1;
    }

    root.append(paragraph);
  }

  return root;
}
