import { describe, expect, it } from 'vitest';
import { Outbox, newClientId, type OutboxItem } from '../../widget/outbox.js';

const item = (clientId: string, chatId = 7): OutboxItem => ({ clientId, chatId, text: `text ${clientId}`, clientDate: 1, retries: 0 });

describe('Outbox', () => {
  it('hands out each queued message once per socket, oldest first', () => {
    const box = new Outbox();
    box.add(item('a'));
    box.add(item('b'));
    expect(box.takeUnsent().map((i) => i.clientId)).toEqual(['a', 'b']);
    expect(box.takeUnsent()).toEqual([]);
    box.add(item('c'));
    expect(box.takeUnsent().map((i) => i.clientId)).toEqual(['c']);
  });

  it('ignores a clientId that is already queued', () => {
    const box = new Outbox([item('a')]);
    box.add(item('a'));
    expect(box.size).toBe(1);
  });

  it('after the socket is lost, everything unconfirmed is sent again with the same clientIds', () => {
    const box = new Outbox();
    box.add(item('a'));
    box.add(item('b'));
    box.takeUnsent();
    box.confirm('a');
    box.resetInFlight();
    expect(box.takeUnsent().map((i) => i.clientId)).toEqual(['b']);
  });

  it('knows which message a bare error frame is about: the oldest in flight', () => {
    const box = new Outbox([item('a'), item('b')]);
    expect(box.oldestInFlight()).toBeUndefined();
    box.takeUnsent();
    expect(box.oldestInFlight()?.clientId).toBe('a');
    box.confirm('a');
    expect(box.oldestInFlight()?.clientId).toBe('b');
  });

  it('retry keeps the message, counts it, and makes it unsent again', () => {
    const box = new Outbox([item('a')]);
    box.takeUnsent();
    expect(box.retry('a')?.retries).toBe(1);
    expect(box.hasInFlight()).toBe(false);
    expect(box.takeUnsent().map((i) => i.clientId)).toEqual(['a']);
  });

  it('reject and confirm forget the message; unknown ids are ignored', () => {
    const box = new Outbox([item('a'), item('b')]);
    box.takeUnsent();
    expect(box.reject('a')?.clientId).toBe('a');
    expect(box.confirm('zzz')).toBeUndefined();
    expect(box.list().map((i) => i.clientId)).toEqual(['b']);
    box.clear();
    expect(box.size).toBe(0);
    expect(box.hasInFlight()).toBe(false);
  });

  it('does not share item objects with the caller', () => {
    const original = item('a');
    const box = new Outbox([original]);
    box.takeUnsent();
    box.retry('a');
    expect(original.retries).toBe(0);
  });
});

describe('newClientId', () => {
  it('is 32 hex characters (within the protocol limit of 64) and unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, newClientId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});
