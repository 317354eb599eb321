/**
 * The widget's place on the page: a host element whose open shadow root holds the template, the
 * template's texts translated, its slots (Preact renders the views into them) and the root's data-*
 * attributes that the template's CSS keys on. The widget never touches the page outside it, except
 * for the listeners it adds here and removes again.
 */
import { h, render, type VNode } from 'preact';
import { fetchAsset } from './assets.js';
import { Body } from './components/body.js';
import { Status, Title, Tools, Unread } from './components/header.js';
import type { ViewProps } from './components/props.js';
import type { Role, State } from './state.js';
import { totalUnread } from './state.js';
import { FALLBACK_TEMPLATE, SLOTS, parseTemplate, type ParsedTemplate, type SlotName } from './template.js';

type View = (props: ViewProps) => VNode | null;

/** The buyer's views; a seller's page puts the inbox's over them (the body, back, title). */
const VIEWS: Record<SlotName, View> = {
  title: Title,
  status: Status,
  back: () => null,
  unread: Unread,
  tools: Tools,
  body: Body,
};

/** What the body shows, for the template's CSS (`data-view`). */
export function view(state: State): string {
  if (state.auth === 'ready') return state.current !== undefined ? 'chat' : state.role === 'seller' ? 'list' : 'wait';
  return state.auth === 'pending' ? 'wait' : state.auth;
}

/**
 * The `template` option, else the plugin's default, else the built-in fallback. A template that
 * cannot be loaded, or has none of the slots the widget needs (one made for the original AH Chat
 * widget, say), is reported through `failed` and the next one is tried.
 */
export async function loadTemplate(template: string | undefined, assets: string, failed: () => void): Promise<ParsedTemplate> {
  for (const url of [template && new URL(template, location.href).href, `${assets}/chat.tpl`]) {
    if (!url) continue;
    try {
      const parsed = parseTemplate(await (await fetchAsset(url)).text());
      // The one slot a template cannot do without: `body` holds the name form, the conversation and
      // the seller's list. A template made for the original AH Chat widget (`.ah-chat`, `.messages`,
      // `#messageTpl`, `#chatTpl`) has none of ours.
      if (parsed.fragment.querySelector('[data-ah-slot="body"]')) return parsed;
      console.warn(`AHChat: ${url}: no data-ah-slot="body"`);
    } catch {
      // not loaded: reported below like a template without its slots
    }
    failed();
  }
  return parseTemplate(FALLBACK_TEMPLATE);
}

export interface MountOptions {
  role: Role;
  /** Rendered into the host's element (always open), else floating at the end of body. */
  container: Element | null;
  lang: string;
  /** The text of a `data-ah-text` / `data-ah-label` key. */
  text: (key: string) => string;
  /** Views in place of the buyer's (the seller's, from ahchat-inbox.js). */
  views?: Partial<Record<SlotName, View>>;
  /** The `accent` option. */
  accent?: string;
}

export class Mount {
  readonly shadow: ShadowRoot;
  readonly root: Element;
  readonly #host: HTMLElement;
  readonly #slots: Array<[SlotName, Element]>;
  readonly #views: Record<SlotName, View>;
  readonly #cleanups: Array<() => void> = [];

  constructor(template: ParsedTemplate, { role, container, lang, text, views, accent }: MountOptions) {
    this.#views = { ...VIEWS, ...views };
    const host = (this.#host = document.createElement('div'));
    host.setAttribute('data-ahchat', role);
    // One custom property through the CSSOM: a value that is not one (a `;`, a `}`) is dropped, never parsed as more rules.
    if (accent) host.style.setProperty('--ah-accent', accent);
    const shadow = (this.shadow = host.attachShadow({ mode: 'open' }));
    shadow.append(template.fragment);
    const root = (this.root = shadow.querySelector('[data-ah-root]') ?? shadow.firstElementChild ?? shadow.appendChild(document.createElement('div')));
    root.setAttribute('data-mode', container ? 'inline' : 'floating');
    root.setAttribute('data-role', role);
    // Right-to-left languages mirror the whole widget; user text still picks its own direction (dir="auto").
    if (lang === 'ar') root.setAttribute('dir', 'rtl');
    for (const el of shadow.querySelectorAll('[data-ah-text]')) el.textContent = text(el.getAttribute('data-ah-text')!);
    for (const el of shadow.querySelectorAll('[data-ah-label]')) {
      const label = text(el.getAttribute('data-ah-label')!);
      el.setAttribute('aria-label', label);
      el.setAttribute('title', label);
    }
    this.#slots = SLOTS.flatMap((name) => [...shadow.querySelectorAll(`[data-ah-slot="${name}"]`)].map((el) => [name, el] as [SlotName, Element]));
    (container ?? document.body).append(host);
  }

  /** Adds a listener that destroy() removes again. */
  listen(target: EventTarget, type: string, fn: (event: Event) => void): void {
    target.addEventListener(type, fn);
    this.#cleanups.push(() => target.removeEventListener(type, fn));
  }

  /** The root's attributes for the CSS, and the views rendered into their slots. */
  paint(state: State, props: ViewProps): void {
    const root = this.root;
    root.toggleAttribute('data-open', state.open);
    root.setAttribute('data-connection', state.connection);
    root.setAttribute('data-view', view(state));
    root.setAttribute('data-unread', String(totalUnread(state)));
    for (const el of this.shadow.querySelectorAll('[data-ah-action="toggle"]')) el.setAttribute('aria-expanded', String(state.open));
    for (const [name, el] of this.#slots) render(h(this.#views[name], props), el);
  }

  /** Focuses the element matching `selector` in the body slot, after the next paint. */
  focus(selector: string): void {
    requestAnimationFrame(() => (this.shadow.querySelector(`[data-ah-slot="body"] ${selector}`) as HTMLElement | null)?.focus());
  }

  /** Removes the views, the listeners and the host element. */
  destroy(): void {
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    for (const [, el] of this.#slots) render(null, el);
    this.#host.remove();
  }
}
