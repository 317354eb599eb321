import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../lib/wire/index.js';
import { LANGUAGES, pickLanguage, translator } from '../../widget/i18n/index.js';

const table = (lang: string): Record<string, string> =>
  JSON.parse(readFileSync(new URL(`../../widget/i18n/${lang}.json`, import.meta.url), 'utf8'));

describe('i18n tables', () => {
  it('every language has exactly the English keys, none empty', () => {
    const keys = Object.keys(table('en')).sort();
    for (const lang of LANGUAGES) {
      expect(Object.keys(table(lang)).sort()).toEqual(keys);
      for (const [key, text] of Object.entries(table(lang))) expect(text.trim(), `${lang}.${key}`).not.toBe('');
    }
  });

  it('every sentence is for an error code that exists', () => {
    for (const key of Object.keys(table('en')).filter((k) => k.startsWith('error.'))) {
      expect(Object.keys(ERROR_CODES)).toContain(key.slice('error.'.length));
    }
  });

  it('every error code a user can cause has its own sentence; the rest get the generic one', () => {
    const userFacing = ['CHAT_NOT_FOUND', 'USER_NOT_FOUND', 'TEXT_TOO_LONG', 'RATE_LIMITED', 'CHAT_CLOSED', 'MESSAGE_REJECTED', 'SELLER_NOT_FOUND'];
    for (const lang of LANGUAGES) {
      const t = translator(table('en'), table(lang));
      for (const code of userFacing) expect(table(lang)[`error.${code}`], `${lang} ${code}`).toBeDefined();
      for (const code of Object.keys(ERROR_CODES)) expect(t(`error.${code}`)).not.toMatch(/^error/);
    }
  });
});

describe('translator', () => {
  it('layers tables: later ones win; fills {params}', () => {
    const t = translator({ a: 'A', n: '{n} unread' }, { a: 'B' });
    expect(t('a' as never)).toBe('B');
    expect(t('n' as never, { n: 3 })).toBe('3 unread');
  });

  it('shows the key when nothing is known (strings could not be loaded)', () => {
    expect(translator()('send')).toBe('send');
  });
});

describe('pickLanguage', () => {
  it('takes the first known language, by its two-letter code, else English', () => {
    expect(pickLanguage(undefined, 'ru-RU', 'en-US')).toBe('ru');
    expect(pickLanguage('RU')).toBe('ru');
    expect(pickLanguage('de', '', null, 'fr-FR')).toBe('de');
    expect(pickLanguage('it', '', null, 'fr-FR')).toBe('fr');
    expect(pickLanguage('AR-eg')).toBe('ar');
    expect(pickLanguage('it', 'pt-BR', null)).toBe('en');
  });
});
