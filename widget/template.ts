/**
 * Chat templates (format in docs/WIDGET.md): HTML whose `<style>` and markup go into the widget's
 * shadow root. Elements marked `data-ah-slot` are rendered into by the widget, `data-ah-action`
 * elements are wired to actions, `data-ah-text` / `data-ah-label` get translated strings, and a
 * `<script type="application/json" data-ah-strings>` block overrides strings per language.
 */
export const SLOTS = ['title', 'status', 'back', 'unread', 'tools', 'body'] as const;
export type SlotName = (typeof SLOTS)[number];

export interface ParsedTemplate {
  fragment: DocumentFragment;
  /** Per language, string overrides: `{ "en": { "launcher": "Ask us" } }`. A flat object applies to all. */
  strings: Record<string, Record<string, string>>;
}

export function parseTemplate(source: string): ParsedTemplate {
  const template = document.createElement('template');
  template.innerHTML = source;
  const fragment = template.content;
  let strings: Record<string, Record<string, string>> = {};
  for (const script of fragment.querySelectorAll('script')) {
    if (script.type === 'application/json' && script.hasAttribute('data-ah-strings')) {
      try {
        const parsed = JSON.parse(script.textContent || '{}') as Record<string, unknown>;
        const flat = Object.values(parsed).every((v) => typeof v === 'string');
        strings = flat ? { '*': parsed as Record<string, string> } : (parsed as typeof strings);
      } catch {
        // a broken strings block leaves the built-in strings
      }
    }
    // Templates style and lay out; they never run code inside the widget.
    script.remove();
  }
  disarm(fragment);
  return { fragment, strings };
}

/**
 * Templates never run code in the host page (scripts are gone already): every event-handler
 * attribute goes (`<img src=x onerror=…>` would run once the markup is in the page), an iframe's
 * srcdoc (a page of the host's origin), and every attribute holding a javascript: URL (hrefs, frame
 * sources, form actions, SVG animation values), white space and controls inside it included. Done
 * while the markup is still inert, before anything of it is in the document.
 */
export function disarm(fragment: DocumentFragment): void {
  for (const el of fragment.querySelectorAll('*')) {
    for (const { name, value } of [...el.attributes]) {
      if (/^(on|srcdoc=)|javascript:/i.test(`${name}=${value}`.replace(/[\0- ]/g, ''))) el.removeAttribute(name);
    }
  }
}

/** Used only when no template could be loaded: unstyled and always open, but usable. */
export const FALLBACK_TEMPLATE =
  '<div data-ah-root data-open style="position:fixed;right:0;bottom:0;width:320px;background:#fff">' +
  '<span data-ah-slot="back"></span><b data-ah-slot="title"></b><div data-ah-slot="body"></div></div>';
