/**
 * The entry of ahchat-signup.js: what only a first-time buyer needs, the name form (with the e-mail
 * field, and a guest's name later) and its step, loaded when the buyer has no token (widget/chunks.ts). A
 * returning buyer's page never loads it.
 */
import { NameForm } from './components/name-form.js';
import { handBack } from './hand-back.js';
import { signUp } from './sign-up.js';

handBack('signup', { NameForm, signUp });
