/**
 * Compiles htm tagged templates (html`<div class=${x}>…</div>`) into Preact `h()` calls at build
 * time, as babel-plugin-htm does: the bundle then carries neither the htm parser nor the template
 * text, and nothing is parsed in the browser. The sources keep using htm (tests run them as they
 * are); htm's own parser (`htm/src/build.mjs`) reads the templates here, so both agree on syntax.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

// htm's package exports do not list its parser (Node dropped folder exports), so import it by path.
const htmDist = dirname(createRequire(import.meta.url).resolve('htm'));
const { build: parse, treeify } = await import(pathToFileURL(join(htmDist, '..', 'src', 'build.mjs')).href);

const TAG = /\bhtml`/g;
const H = '__ahH';

/** Index just after the template literal whose body starts at `p`; fills statics and expressions. */
function scanTemplate(src, p, parts = { statics: [], exprs: [] }) {
  let start = p;
  for (;;) {
    const c = src[p];
    if (c === undefined) throw new Error('htm-compile: unterminated template literal');
    if (c === '\\') p += 2;
    else if (c === '`') {
      parts.statics.push(src.slice(start, p));
      return { ...parts, end: p + 1 };
    } else if (c === '$' && src[p + 1] === '{') {
      parts.statics.push(src.slice(start, p));
      const end = scanExpression(src, p + 2);
      parts.exprs.push(src.slice(p + 2, end));
      p = start = end + 1;
    } else p++;
  }
}

/** Index of the `}` that closes the expression starting at `p` (strings and nested templates skipped). */
function scanExpression(src, p) {
  let depth = 0;
  for (;;) {
    const c = src[p];
    if (c === undefined) throw new Error('htm-compile: unterminated ${ expression');
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return p;
      depth--;
    } else if (c === '`') {
      p = scanTemplate(src, p + 1).end;
      continue;
    } else if (c === '"' || c === "'") {
      p++;
      while (src[p] !== c) p += src[p] === '\\' ? 2 : 1;
    }
    p++;
  }
}

const cook = (raw) => new Function(`return \`${raw}\``)();
const isField = (v) => v !== null && typeof v === 'object' && 'expr' in v;
const value = (v) => (isField(v) ? `(${v.expr})` : JSON.stringify(v));

function props(list) {
  if (list.length === 0) return 'null';
  const entries = [];
  for (const item of list) {
    if (isField(item)) entries.push(`...${value(item)}`);
    else {
      for (const [name, parts] of Object.entries(item)) {
        const joined = parts.length === 1 ? value(parts[0]) : `""+${parts.map(value).join('+')}`;
        entries.push(`${JSON.stringify(name)}:${joined}`);
      }
    }
  }
  return `{${entries.join(',')}}`;
}

function code(node) {
  if (Array.isArray(node)) return `[${node.map(code).join(',')}]`;
  if (typeof node === 'string' || isField(node)) return value(node);
  const args = [value(node.tag), props(node.props), ...node.children.map(code)];
  return `${H}(${args.join(',')})`;
}

/** The source with every html`` template replaced by h() calls; throws on what it cannot read. */
export function compileHtm(src) {
  let out = '';
  let last = 0;
  TAG.lastIndex = 0;
  for (let m; (m = TAG.exec(src)); ) {
    const t = scanTemplate(src, m.index + m[0].length);
    const exprs = t.exprs.map((e) => ({ expr: compileHtm(e) }));
    const tree = treeify(parse.apply(null, [t.statics.map(cook), ...exprs]), exprs);
    out += src.slice(last, m.index) + code(tree);
    last = TAG.lastIndex = t.end;
  }
  return out + src.slice(last);
}

/** esbuild plugin: compiles the views and drops their htm import. */
export const htmPlugin = {
  name: 'htm-compile',
  setup(build) {
    build.onLoad({ filter: /[\\/]widget[\\/]components[\\/][^\\/]+\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('html`')) return undefined;
      const compiled = compileHtm(source.replace(/^import \{ html \} from '\.\/html\.js';$/m, `import { h as ${H} } from 'preact';`));
      if (/\bhtml`/.test(compiled) || compiled.includes('[object Object]')) throw new Error(`htm-compile: could not compile ${path}`);
      return { contents: compiled, loader: 'ts' };
    });
  },
};
