/**
 * The page context a buyer sends (`auth.context`, the `context` command): checked here, then
 * optionally replaced by the host's resolveContext. No I/O.
 *
 * What is accepted: an object with `title` (a readable name, ≤ 200 characters) and `url` (an
 * absolute http or https URL, ≤ 2048), and optionally `image` (the same, and from an origin in the
 * `contextImageOrigins` option), `price` (a string ≤ 32 or a finite number) and `ref` (a string ≤
 * 128 or a safe integer). Unknown fields are dropped. Anything else is refused as a whole, naming the
 * first field at fault, so the seller never sees half of what the buyer's page meant.
 */
import { hasVisible, isObject, isString } from '../wire/index.js';
import type { PageContext } from '../store/store.js';

export const CONTEXT_LIMITS = { title: 200, url: 2048, price: 32, ref: 128 } as const;

/** Why a context was refused: the field at fault (`context` when it is not an object at all). */
export type ContextFault = 'context' | 'title' | 'url' | 'image' | 'price' | 'ref';

export type ContextCheck = { ok: true; context: PageContext } | { ok: false; field: ContextFault };


/** Same string rules as every wire string (isString): no NUL, no lone surrogate; and nothing invisible-only. */
function text(v: unknown, max: number): v is string {
  return isString(v) && v.length > 0 && v.length <= max && hasVisible(v);
}

/** An absolute http(s) URL, normalised as the URL parser writes it; null when it is none. */
function webUrl(v: unknown): URL | null {
  if (typeof v !== 'string' || v.length > CONTEXT_LIMITS.url || /[\0-\x20\x7f]/.test(v)) return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Credentials in a link shown to someone else are a phishing trick, never a product page.
  if (url.username || url.password) return null;
  return url.href.length <= CONTEXT_LIMITS.url ? url : null;
}

/**
 * Checks a context against the rules above. `imageOrigins`: the normalised origins images may come
 * from (contextImageOrigins); an image from anywhere else refuses the context.
 */
export function checkContext(value: unknown, imageOrigins: readonly string[]): ContextCheck {
  if (!isObject(value)) return { ok: false, field: 'context' };
  if (!text(value.title, CONTEXT_LIMITS.title)) return { ok: false, field: 'title' };
  const url = webUrl(value.url);
  if (!url) return { ok: false, field: 'url' };
  const context: PageContext = { title: value.title.trim(), url: url.href };
  if (value.image !== undefined && value.image !== null) {
    const image = webUrl(value.image);
    if (!image || !imageOrigins.includes(image.origin)) return { ok: false, field: 'image' };
    context.image = image.href;
  }
  if (value.price !== undefined && value.price !== null) {
    const { price } = value;
    if (!(typeof price === 'number' ? Number.isFinite(price) : text(price, CONTEXT_LIMITS.price))) return { ok: false, field: 'price' };
    context.price = price as string | number;
  }
  if (value.ref !== undefined && value.ref !== null) {
    const { ref } = value;
    if (!(typeof ref === 'number' ? Number.isSafeInteger(ref) : text(ref, CONTEXT_LIMITS.ref))) return { ok: false, field: 'ref' };
    context.ref = ref as string | number;
  }
  return { ok: true, context };
}

