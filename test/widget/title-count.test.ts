import { describe, expect, it } from 'vitest';
import { TitleCount } from '../../widget/title-count.js';

describe('TitleCount: the unread count in the title', () => {
  it('shows "(n) Original" and puts the original back at 0', () => {
    const doc = { title: 'Green Leaf Tea' };
    const count = new TitleCount(doc);
    count.show(0);
    expect(doc.title).toBe('Green Leaf Tea');
    count.show(1);
    expect(doc.title).toBe('(1) Green Leaf Tea');
    count.show(3);
    expect(doc.title).toBe('(3) Green Leaf Tea');
    count.show(0);
    expect(doc.title).toBe('Green Leaf Tea');
    count.show(0);
    expect(doc.title).toBe('Green Leaf Tea');
  });

  it('a title the page set meanwhile becomes the original and is never replaced by the old one', () => {
    const doc = { title: 'Cart' };
    const count = new TitleCount(doc);
    count.show(2);
    doc.title = 'Checkout';
    count.show(0);
    expect(doc.title).toBe('Checkout');
    count.show(4);
    expect(doc.title).toBe('(4) Checkout');
    doc.title = 'Paid';
    count.show(5);
    expect(doc.title).toBe('(5) Paid');
    count.show(0);
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
    const count = new TitleCount(doc);
    count.show(2);
    count.show(2);
    count.show(0);
    count.show(0);
    expect(writes).toBe(2);
  });
});
