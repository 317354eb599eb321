/**
 * The name form's step, carried by ahchat-signup.js with the form (a returning buyer's page never
 * loads it): a first-time buyer signs up with the name (and e-mail address), a guest gives it now.
 */
import type { Session } from './session.js';

export function signUp(session: Session, name: string, email?: string): void {
  // A guest signed in already: the name (and address) go with profile.
  if (session.store.getState().auth !== 'ready') session.signIn({ name, email });
  else if (session.client.send('profile', { name, email })) session.set({ guest: false });
}
