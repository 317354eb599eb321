/**
 * The mount's rule that needs no page: what the body shows (`data-view`, which the template's CSS
 * keys on). The shadow root, slots and template texts are driven in Chromium (test/e2e/embedding,
 * spoofing and conversation tests).
 */
import { describe, expect, it } from 'vitest';
import { view } from '../../widget/mount.js';
import { initialState } from '../../widget/state.js';

describe('mount: data-view', () => {
  it('name, wait, denied before the sign-in; then chat, or the seller\'s list, or wait for a buyer without a chat', () => {
    expect(view(initialState('buyer', { auth: 'name' }))).toBe('name');
    expect(view(initialState('buyer'))).toBe('wait');
    expect(view(initialState('seller', { auth: 'denied' }))).toBe('denied');
    expect(view({ ...initialState('buyer'), auth: 'ready', current: 7 })).toBe('chat');
    expect(view({ ...initialState('seller'), auth: 'ready' })).toBe('list');
    expect(view({ ...initialState('seller'), auth: 'ready', current: 3 })).toBe('chat');
    expect(view({ ...initialState('buyer'), auth: 'ready' })).toBe('wait');
  });
});
