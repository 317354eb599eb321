/**
 * The page or product a buyer writes about, as the seller sees it (part of the seller's inbox, so
 * the buyer's bundle never carries it): a card at the top of the conversation, a marker in the log
 * where the buyer's page changed, and the product line in the chat list.
 * Everything is rendered as text; links and images take only http(s) URLs (the server checks them
 * too, and images only from the origins the host allows), open without an opener, send no referrer.
 */
import type { VNode } from 'preact';
import type { PageContext } from '../../lib/wire/index.js';
import { html } from './html.js';
import type { Translate } from '../i18n/index.js';

const web = (url: string | undefined): string | undefined => (url && /^https?:\/\//i.test(url) ? url : undefined);

/** Whether two contexts name the same page (a marker goes where this changes). */
export const samePage = (a?: PageContext, b?: PageContext): boolean => a?.url === b?.url && a?.ref === b?.ref && a?.title === b?.title;

/** The card above the conversation. */
export function ContextCard({ context, t }: { context: PageContext; t: Translate }): VNode {
  const image = web(context.image);
  return html`<a class="ah-product" href=${web(context.url)} target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer" aria-label=${`${t('product')}: ${context.title}`}>
    ${image && html`<img class="ah-product-image" src=${image} alt="" loading="lazy" referrerpolicy="no-referrer" />`}
    <span class="ah-product-main"><bdi class="ah-product-title">${context.title}</bdi>${context.price !== undefined && html`<bdi class="ah-price">${String(context.price)}</bdi>`}</span>
  </a>`;
}

/** The line in the log before the first message written from another page. */
export function ContextMark({ context, t }: { context: PageContext; t: Translate }): VNode {
  return html`<p class="ah-context-mark" role="note">${t('contextChanged')} <a href=${web(context.url)} target="_blank" rel="noopener noreferrer" referrerpolicy="no-referrer"><bdi>${context.title}</bdi></a></p>`;
}
