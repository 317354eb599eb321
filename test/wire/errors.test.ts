/** docs/PROTOCOL.md documents every error code the server can send, and only those. */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../lib/wire/index.js';

const protocol = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('are each documented in the protocol table', () => {
    const documented = [...protocol.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('are all used by the server code', () => {
    const sources = readdirSync(new URL('../../lib/', import.meta.url), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && f !== 'wire/errors.ts')
      .map((f) => readFileSync(new URL(`../../lib/${f}`, import.meta.url), 'utf8'))
      .join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => !sources.includes(`'${code}'`));
    expect(unused).toEqual([]);
  });
});
