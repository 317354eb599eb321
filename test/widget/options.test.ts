import { describe, expect, it } from 'vitest';
import { resolveOptions, socketUrl } from '../../widget/options.js';

describe('socketUrl', () => {
  it('a URL without a path (as in the original README) means the default path /ahchat', () => {
    expect(socketUrl('ws://localhost:8001')).toBe('ws://localhost:8001/ahchat');
    expect(socketUrl('ws://localhost:8001/')).toBe('ws://localhost:8001/ahchat');
  });

  it('keeps a path that is given, turns http(s) into ws(s), resolves relative URLs', () => {
    expect(socketUrl('wss://shop.example/chat/ws')).toBe('wss://shop.example/chat/ws');
    expect(socketUrl('https://shop.example')).toBe('wss://shop.example/ahchat');
    expect(socketUrl('/ahchat', 'http://shop.example/product/1')).toBe('ws://shop.example/ahchat');
  });

  it('refuses other schemes', () => {
    expect(() => socketUrl('ftp://x')).toThrow(/options\.url/);
    expect(() => socketUrl('not a url')).toThrow(TypeError);
  });
});

describe('resolveOptions', () => {
  it('a buyer needs sellerId; a seller needs id and token', () => {
    expect(resolveOptions({ url: 'ws://h:1', sellerId: 10 })).toMatchObject({
      role: 'buyer',
      socketUrl: 'ws://h:1/ahchat',
      assets: 'http://h:1/ahchat',
      who: 'buyer:10',
    });
    expect(resolveOptions({ url: 'wss://h', id: 10, token: 'iofh3498hwe' })).toMatchObject({
      role: 'seller',
      assets: 'https://h/ahchat',
      who: 'seller:10',
    });
  });

  it('fails at once with a TypeError naming the option', () => {
    expect(() => resolveOptions({ url: '' } as never)).toThrow('AHChat: options.url is required');
    expect(() => resolveOptions({ url: 'ws://h' })).toThrow(/options\.sellerId/);
    expect(() => resolveOptions({ url: 'ws://h', id: 10 })).toThrow(/options\.token/);
    expect(() => resolveOptions({ url: 'ws://h', id: -1, token: 't' })).toThrow(/options\.id/);
    expect(() => resolveOptions({ url: 'ws://h', sellerId: 1, template: 5 as never })).toThrow(/options\.template/);
    expect(() => resolveOptions(null as never)).toThrow(TypeError);
    expect(() => resolveOptions({ url: 'ws://h', sellerId: 1, sound: 'no' as never })).toThrow('AHChat: options.sound is not a boolean');
    expect(() => resolveOptions({ url: 'ws://h', sellerId: 1, titleCount: 0 as never })).toThrow(/options\.titleCount/);
    expect(() => resolveOptions({ url: 'ws://h', sellerId: 1, notifications: 'off' as never })).toThrow(/options\.notifications/);
    expect(resolveOptions({ url: 'ws://h', sellerId: 1, sound: false, titleCount: false, notifications: false, open: true })).toMatchObject({ sound: false });
  });
});
