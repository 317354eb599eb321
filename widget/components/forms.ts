/**
 * The entry of ahchat-forms.js, loaded by the bundle next to the template and strings (in parallel,
 * on every page), so that the bundle stays within its budget: the forms — the message box, the name
 * form (with the e-mail address the shop may ask for, and a guest's name later) and the offer of
 * desktop notifications. Like the inbox, it uses the bundle's Preact (see widget/inbox-loader.ts).
 */
import { Composer } from './composer.js';
import { NameForm } from './name-form.js';
import { NotifyAsk } from './notify-ask.js';

(globalThis as unknown as Record<symbol, { f?: (m: unknown) => void } | undefined>)[Symbol.for('ahchat.inbox')]?.f?.({ NameForm, NotifyAsk, Composer });
