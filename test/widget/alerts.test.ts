import { afterEach, describe, expect, it, vi } from 'vitest';
import { Alerts } from '../../widget/alerts.js';

describe('Alerts: the unread count in the title', () => {
  it('shows "(n) Original" and puts the original back at 0', () => {
    const doc = { title: 'Green Leaf Tea' };
    const alerts = new Alerts(doc);
    alerts.title(0);
    expect(doc.title).toBe('Green Leaf Tea');
    alerts.title(1);
    expect(doc.title).toBe('(1) Green Leaf Tea');
    alerts.title(3);
    expect(doc.title).toBe('(3) Green Leaf Tea');
    alerts.title(0);
    expect(doc.title).toBe('Green Leaf Tea');
    alerts.title(0);
    expect(doc.title).toBe('Green Leaf Tea');
  });

  it('a title the page set meanwhile becomes the original and is never replaced by the old one', () => {
    const doc = { title: 'Cart' };
    const alerts = new Alerts(doc);
    alerts.title(2);
    doc.title = 'Checkout';
    alerts.title(0);
    expect(doc.title).toBe('Checkout');
    alerts.title(4);
    expect(doc.title).toBe('(4) Checkout');
    doc.title = 'Paid';
    alerts.title(5);
    expect(doc.title).toBe('(5) Paid');
    alerts.close();
    expect(doc.title).toBe('Paid');
  });

  it('does not write the title when it would not change', () => {
    let writes = 0;
    let title = 'Shop';
    const doc = {
      get title() {
        return title;
      },
      set title(v: string) {
        writes++;
        title = v;
      },
    };
    const alerts = new Alerts(doc);
    alerts.title(2);
    alerts.title(2);
    alerts.title(0);
    alerts.title(0);
    expect(writes).toBe(2);
  });
});

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
    const alerts = new Alerts({ title: '' });
    alerts.beep();
    alerts.beep();
    expect(started).toEqual([1, 1]);
    expect(contexts).toBe(1);
    vi.unstubAllGlobals();
    expect(() => new Alerts({ title: '' }).beep()).not.toThrow();
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
    new Alerts({ title: '' }).notify('Alice', 'Is it in stock?', 'ahchat:7', opened);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ title: 'Alice', options: { body: 'Is it in stock?', tag: 'ahchat:7' } });
    made[0]?.onclick?.();
    expect(made[0]?.closed).toBe(true);
    expect(focus).toHaveBeenCalled();
    expect(opened).toHaveBeenCalled();
  });
});
