/**
 * The entry of ahchat-signup.js, the buyer's sign-in steps: the name form (with the e-mail field,
 * and a guest's name later) and its step, loaded when the buyer has no token (widget/chunks.ts), and
 * "Start a new chat" with the closed chat kept above the new one, loaded once a chat is closed. A
 * returning buyer's page loads it only then.
 */
import { NameForm } from './components/name-form.js';
import { NewChat, keepEarlier } from './components/new-chat.js';
import { handBack } from './hand-back.js';
import { signUp } from './sign-up.js';

handBack('signup', { NameForm, signUp, NewChat, keepEarlier });
