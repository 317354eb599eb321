/** The shared checks: one rule per kind of value, and setting errors that name the setting. */
import { describe, expect, it } from 'vitest';
import { isId, SettingChecks } from '../../lib/wire/validate.js';

class ConfigError extends Error {}

describe('isId', () => {
  it('takes positive safe integers only, the one rule for every id', () => {
    for (const ok of [1, 7, Number.MAX_SAFE_INTEGER]) expect(isId(ok)).toBe(true);
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, '7', null, undefined, NaN]) expect(isId(bad)).toBe(false);
  });
});

describe('SettingChecks', () => {
  const option = new SettingChecks((name) => `ahChat: option "${name}"`);
  const variable = new SettingChecks((name) => name, ConfigError);

  it('names the setting, what it must be and what it got', () => {
    expect(() => option.positiveInt('maxTextLength', 0, 1)).toThrow(new TypeError('ahChat: option "maxTextLength" must be a positive integer, got 0'));
    expect(() => option.bool('trustProxy', 'yes', false)).toThrow(new TypeError('ahChat: option "trustProxy" must be a boolean, got "yes"'));
    expect(() => option.optionalFunction('onUnread', 5)).toThrow(new TypeError('ahChat: option "onUnread" must be a function, got 5'));
    expect(() => option.methods('bus', { start() {} }, ['start', 'close'])).toThrow(
      new TypeError('ahChat: option "bus" must be an object with methods start, close, got one without close'),
    );
    expect(() => option.positiveInts('rateLimit', { frames: -1 }, { frames: 20, intervalMs: 10 })).toThrow(
      new TypeError('ahChat: option "rateLimit.frames" must be a positive integer, got -1'),
    );
    expect(() => variable.integerText('PORT', '70000', 8001, 0, 65535)).toThrow(new ConfigError('PORT must be an integer from 0 to 65535, got "70000"'));
    expect(() => variable.integerText('AHCHAT_PRESENCE_TTL_MS', '5', 15_000, 300)).toThrow(new ConfigError('AHCHAT_PRESENCE_TTL_MS must be an integer of at least 300, got "5"'));
    expect(() => option.origin('origins', 'ftp://shop.example')).toThrow(new TypeError('ahChat: option "origins": "ftp://shop.example" must start with http:// or https://'));
  });

  it('gives defaults for what is not set, and the values as given otherwise', () => {
    expect(option.positiveInt('historyLimit', undefined, 50)).toBe(50);
    expect(option.positiveInts('rateLimit', { frames: 5 }, { frames: 20, intervalMs: 10 })).toEqual({ frames: 5, intervalMs: 10 });
    expect(variable.integerText('PORT', '', 8001, 0, 65535)).toBe(8001);
    expect(variable.integerText('PORT', '0', 8001, 0, 65535)).toBe(0);
    expect(option.origin('origins', 'HTTPS://Shop.Example:443/')).toBe('https://shop.example');
  });
});
