/** The buyer's first step: a name, then the chat. */
import type { VNode } from 'preact';
import { html } from './html.js';
import type { ViewProps } from './props.js';

export function NameForm({ state, t, actions }: ViewProps): VNode {
  const submit = (event: Event) => {
    event.preventDefault();
    const input = (event.currentTarget as HTMLFormElement).elements.namedItem('name') as HTMLInputElement;
    const name = input.value.trim();
    if (name) actions.signUp(name);
    else input.focus();
  };
  return html`<form class="ah-name" onSubmit=${submit}>
    <p class="ah-intro">${t('nameIntro')}</p>
    ${state.error && html`<p class="ah-error" role="alert">${t(`error.${state.error}`)}</p>`}
    <label class="ah-label" for="ah-name">${t('nameLabel')}</label>
    <input id="ah-name" name="name" class="ah-input" autocomplete="name" maxlength="100" required
      placeholder=${t('namePlaceholder')} data-ah-autofocus />
    <button class="ah-primary" type="submit">${t('start')}</button>
  </form>`;
}
