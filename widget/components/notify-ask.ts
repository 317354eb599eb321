/** "Enable notifications": the browser's permission prompt only ever follows this click. */
import type { VNode } from 'preact';
import { html } from './html.js';
import type { ViewProps } from './props.js';

export function NotifyAsk({ state, t, actions }: ViewProps): VNode | null {
  if (state.notify !== 'ask') return null;
  return html`<div class="ah-notice" data-kind="notify">
    <button type="button" class="ah-link" onClick=${() => actions.notify(true)}>${t('notifyEnable')}</button>
    <button type="button" class="ah-link" aria-label=${t('notNow')} title=${t('notNow')} onClick=${() => actions.notify(false)}>×</button>
  </div>`;
}
