/**
 * Message text as text: Preact puts strings into text nodes, so markup in a message is shown, never
 * parsed. Only http(s) links (and www.) become anchors, opened in a new tab without an opener.
 */
import type { VNode } from 'preact';
import { html } from './html.js';

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const TRAILING = /[.,!?;:'")\]]+$/;

export function linkify(text: string): Array<string | VNode> {
  const parts: Array<string | VNode> = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    let url = match[0];
    const trailing = TRAILING.exec(url)?.[0] ?? '';
    const stripped = url.slice(0, url.length - trailing.length);
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    const unbalanced = stripped.split('(').length > stripped.split(')').length;
    url = trailing.startsWith(')') && unbalanced ? `${stripped})` : stripped;
    const start = match.index ?? 0;
    if (start > last) parts.push(text.slice(last, start));
    const href = /^https?:/i.test(url) ? url : `https://${url}`;
    parts.push(html`<a href=${href} target="_blank" rel="noopener noreferrer">${url}</a>`);
    last = start + url.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function MessageText({ text }: { text: string }): VNode {
  return html`<span class="ah-text">${linkify(text)}</span>`;
}
