import { afterEach, describe, expect, it, vi } from 'vitest';
import { Alerts } from '../../widget/alerts.js';

describe('Alerts: beep and notification', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('beeps with one oscillator per message and one audio context; nothing throws without audio', () => {
    const started: number[] = [];
    let contexts = 0;
    const node = () => ({ connect: (next: unknown) => next, frequency: { value: 0 }, gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} } });
    vi.stubGlobal(
      'AudioContext',
      class {
        currentTime = 1;
        destination = {};
        constructor() {
          contexts++;
        }
        createOscillator = () => ({ ...node(), start: (at: number) => started.push(at), stop() {} });
        createGain = node;
        close = async () => {};
      },
    );
    const alerts = new Alerts();
    alerts.beep();
    alerts.beep();
    expect(started).toEqual([1, 1]);
    expect(contexts).toBe(1);
    vi.unstubAllGlobals();
    expect(() => new Alerts().beep()).not.toThrow();
  });

  it('a notification click closes it, focuses the page and opens the chat', () => {
    const made: Array<{ title: string; options: NotificationOptions; onclick?: () => void; closed?: boolean }> = [];
    vi.stubGlobal(
      'Notification',
      class {
        onclick?: () => void;
        closed = false;
        constructor(
          readonly title: string,
          readonly options: NotificationOptions,
        ) {
          made.push(this);
        }
        close() {
          this.closed = true;
        }
      },
    );
    const focus = vi.fn();
    vi.stubGlobal('focus', focus);
    const opened = vi.fn();
    new Alerts().notify('Alice', 'Is it in stock?', 'ahchat:7', opened);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ title: 'Alice', options: { body: 'Is it in stock?', tag: 'ahchat:7' } });
    made[0]?.onclick?.();
    expect(made[0]?.closed).toBe(true);
    expect(focus).toHaveBeenCalled();
    expect(opened).toHaveBeenCalled();
  });
});
