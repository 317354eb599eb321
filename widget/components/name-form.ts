/** The buyer's first step: a name (and an e-mail address when the shop asks), then the chat; a guest's name later. */
import type { VNode } from 'preact';
import { html } from './html.js';
import type { ViewProps } from './props.js';

export function NameForm({ state, t, actions, askEmail }: ViewProps): VNode {
  const guest = state.auth === 'ready';
  const submit = (event: Event) => {
    event.preventDefault();
    const { name, email } = (event.currentTarget as HTMLFormElement).elements as unknown as Record<string, HTMLInputElement | undefined>;
    const value = name!.value.trim();
    if (value) actions.signUp(value, email?.value.trim() || undefined);
    else name!.focus();
  };
  return html`<form class=${guest ? 'ah-add-name' : 'ah-name'} onSubmit=${submit}>
    ${!guest && html`<p class="ah-intro">${t('nameIntro')}</p>`}
    ${!guest && state.error && html`<p class="ah-error" role="alert">${t(`error.${state.error}`)}</p>`}
    <label class="ah-label" for="ah-name">${t(guest ? 'addName' : 'nameLabel')}</label>
    <input id="ah-name" name="name" class="ah-input" autocomplete="name" maxlength="100" required
      placeholder=${t('namePlaceholder')} data-ah-autofocus=${!guest || undefined} />
    ${askEmail && html`<label class="ah-label" for="ah-email">${t(askEmail === 'required' ? 'emailLabel' : 'emailOptional')}</label>
      <input id="ah-email" name="email" type="email" class="ah-input" autocomplete="email" maxlength="254" required=${askEmail === 'required'} />`}
    <button class="ah-primary" type="submit">${t(guest ? 'saveName' : 'start')}</button>
  </form>`;
}
