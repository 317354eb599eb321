/** The message box: Enter sends, Shift+Enter adds a line, the box grows up to a few lines. */
import type { VNode } from 'preact';
import { html } from './html.js';
import type { ViewProps } from './props.js';

const MAX_HEIGHT = 120;

function autosize(area: HTMLTextAreaElement): void {
  area.style.height = 'auto';
  area.style.height = `${Math.min(area.scrollHeight, MAX_HEIGHT)}px`;
}

export function Composer({ t, actions, chatId }: ViewProps & { chatId: number }): VNode {
  const submit = (form: HTMLFormElement) => {
    const area = form.elements.namedItem('text') as HTMLTextAreaElement;
    if (area.value.trim() && actions.send(area.value)) {
      area.value = '';
      autosize(area);
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
    autosize(event.currentTarget as HTMLTextAreaElement);
    actions.typing(chatId);
  };
  const onSubmit = (event: Event) => {
    event.preventDefault();
    submit(event.currentTarget as HTMLFormElement);
  };
  return html`<form class="ah-compose" onSubmit=${onSubmit}>
    <label class="ah-sr" for="ah-text">${t('messageLabel')}</label>
    <textarea id="ah-text" name="text" class="ah-textarea" rows="1" placeholder=${t('messagePlaceholder')}
      onKeyDown=${onKeyDown} onInput=${onInput} data-ah-autofocus></textarea>
    <button type="submit" class="ah-send" aria-label=${t('send')} title=${t('send')}>
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z" fill="currentColor"/></svg>
    </button>
  </form>`;
}
