/**
 * Flat string tables per language (widget/i18n/<lang>.json). They are not in the bundle: the plugin
 * serves them next to the template (`<path>/i18n/<lang>.json`), so words, like looks, change without
 * a rebuild and a new language costs the bundle nothing. A template may override any key.
 */
import { fetchAsset } from '../assets.js';
import type en from './en.json';

export type StringKey = keyof typeof en;
export type Translate = (key: StringKey | `error.${string}`, params?: Record<string, string | number>) => string;

/** The languages in widget/i18n/. */
export const LANGUAGES = ['en', 'ru', 'de', 'fr', 'es', 'ar'];

/** The language to use: the option, else the page's `<html lang>`, else the browser's; English when unknown. */
export function pickLanguage(...candidates: Array<string | null | undefined>): string {
  for (const candidate of candidates) {
    const code = candidate?.slice(0, 2).toLowerCase();
    if (code && LANGUAGES.includes(code)) return code;
  }
  return 'en';
}

/** English under the chosen language, from the plugin; what cannot be had is left out (keys then show). */
export async function loadStrings(lang: string, assets: string): Promise<Array<Record<string, string>>> {
  const get = async (code: string): Promise<Record<string, string>> => {
    try {
      return (await (await fetchAsset(`${assets}/i18n/${code}.json`)).json()) as Record<string, string>;
    } catch {
      return {};
    }
  };
  return Promise.all(lang === 'en' ? [get('en')] : [get('en'), get(lang)]);
}

/**
 * Later tables override earlier ones (an absent one changes nothing). Error codes without a sentence of their own (programming
 * errors, not the user's) get the generic `error` sentence.
 */
export function translator(...tables: Array<Record<string, string> | undefined>): Translate {
  const table = Object.assign({}, ...tables) as Record<string, string>;
  return (key, params) => {
    const text = table[key] ?? (key.startsWith('error') ? (table.error ?? key) : key);
    return params ? text.replace(/\{(\w+)\}/g, (all, name: string) => String(params[name] ?? all)) : text;
  };
}
