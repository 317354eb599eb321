import { describe, expect, it } from 'vitest';
import type { VNode } from 'preact';
import { linkify } from '../../widget/components/message-text.js';

const anchors = (parts: Array<string | VNode>) =>
  parts.filter((p): p is VNode => typeof p !== 'string').map((a) => a.props as Record<string, unknown>);

describe('linkify', () => {
  it('leaves markup as one plain string (Preact renders it as text)', () => {
    const text = '<img src=x onerror="alert(1)"> <b>bold</b> javascript:alert(2)';
    expect(linkify(text)).toEqual([text]);
  });

  it('turns http(s) and www links into anchors that open without an opener', () => {
    const parts = linkify('see https://example.com/a?b=1 and www.shop.test/x.');
    expect(parts.filter((p) => typeof p === 'string')).toEqual(['see ', ' and ', '.']);
    expect(anchors(parts)).toEqual([
      { href: 'https://example.com/a?b=1', target: '_blank', rel: 'noopener noreferrer', children: 'https://example.com/a?b=1' },
      { href: 'https://www.shop.test/x', target: '_blank', rel: 'noopener noreferrer', children: 'www.shop.test/x' },
    ]);
  });

  it('leaves trailing punctuation out but keeps a parenthesis that belongs to the link', () => {
    expect(anchors(linkify('(https://example.com/a)'))[0]?.href).toBe('https://example.com/a');
    expect(anchors(linkify('https://en.wikipedia.org/wiki/Tea_(drink), nice'))[0]?.href).toBe('https://en.wikipedia.org/wiki/Tea_(drink)');
  });

  it('never makes a link of another scheme', () => {
    expect(anchors(linkify('javascript://example.com/%0aalert(1) data:text/html,hi'))).toEqual([]);
  });
});
