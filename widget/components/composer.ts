/**
 * The message box: Enter sends, Shift+Enter adds a line, the box grows up to a few lines. Near the
 * length limit a counter shows what is left; a text over it is not sent (the box keeps it, marked
 * invalid, with the counter saying by how much), so nothing typed is lost to a refusal.
 */
import type { VNode } from 'preact';
import { html } from './html.js';
import type { ViewProps } from './props.js';

const MAX_HEIGHT = 120;
/** The server's default maxTextLength, for a server that does not say its own. */
const MAX_TEXT = 4000;

/** Grows the box and updates the counter (straight in the DOM: no render per keystroke). */
function changed(area: HTMLTextAreaElement, { t, state }: ViewProps): boolean {
  area.style.height = 'auto';
  area.style.height = `${Math.min(area.scrollHeight, MAX_HEIGHT)}px`;
  const max = state.limits?.textLength || MAX_TEXT;
  // Characters as a person (and the server) counts them: code points.
  const n = [...area.value].length;
  const over = n > max;
  const counter = area.nextElementSibling as HTMLElement;
  counter.hidden = n <= max * 0.9;
  counter.toggleAttribute('data-over', over);
  counter.textContent = over ? t('tooLong', { n: n - max }) : t('left', { n: max - n });
  area.toggleAttribute('aria-invalid', over);
  return !over;
}

export function Composer(props: ViewProps & { chatId: number }): VNode {
  const { t, actions, chatId } = props;
  const submit = (form: HTMLFormElement) => {
    const area = form.elements.namedItem('text') as HTMLTextAreaElement;
    // (send refuses a blank text.)
    if (changed(area, props) && actions.send(area.value)) {
      area.value = '';
      changed(area, props);
    }
    area.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit((event.currentTarget as HTMLTextAreaElement).form as HTMLFormElement);
    }
  };
  const onInput = (event: Event) => {
    changed(event.currentTarget as HTMLTextAreaElement, props);
    actions.typing(chatId);
  };
  const onSubmit = (event: Event) => {
    event.preventDefault();
    submit(event.currentTarget as HTMLFormElement);
  };
  return html`<form class="ah-compose" onSubmit=${onSubmit}>
    <label class="ah-sr" for="ah-text">${t('messageLabel')}</label>
    <textarea id="ah-text" name="text" class="ah-textarea" rows="1" dir="auto" placeholder=${t('messagePlaceholder')}
      onKeyDown=${onKeyDown} onInput=${onInput} data-ah-autofocus></textarea>
    <span class="ah-counter" aria-live="polite" hidden></span>
    <button type="submit" class="ah-send" aria-label=${t('send')}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z" fill="currentColor"/></svg>
    </button>
  </form>`;
}
