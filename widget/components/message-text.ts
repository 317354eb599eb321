/**
 * Message text as text: Preact puts strings into text nodes, so markup in a message is shown, never
 * parsed. Only http(s) links (and www.) become anchors, opened in a new tab without an opener.
 */
import type { VNode } from 'preact';
import { html } from './html.js';

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"']+/gi;
const TRAILING = /[.,!?;:'")\]]+$/;
/**
 * Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder what follows them:
 * "https://evil.example/\u202efdp.exe" would read "…/exe.pdf". Shown as U+FFFD instead, in links and
 * around them. Bidi marks (LRM, RLM, ALM), which right-to-left writers use and which cannot reorder
 * letters, are kept.
 */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

export function linkify(text: string): Array<string | VNode> {
  const parts: Array<string | VNode> = [];
  let last = 0;
  for (const { 0: found, index = 0 } of text.matchAll(LINK)) {
    let url = found.replace(TRAILING, '');
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    if (found[url.length] === ')' && url.split('(').length > url.split(')').length) url += ')';
    const href = /^https?:/i.test(url) ? url : `https://${url}`;
    parts.push(text.slice(last, index), html`<a href=${href} target="_blank" rel="noopener noreferrer">${url}</a>`);
    last = index + url.length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== '');
}

export function MessageText({ text }: { text: string }): VNode {
  // The bubble around it has dir="auto": it takes its direction from the text's first strong letter
  // and, as an element with dir, isolates it (a <bdi> here would hide the text from that detection).
  return html`<span class="ah-text">${linkify(text.replace(BIDI, '\ufffd'))}</span>`;
}
