/** The build's compiled views (babel-plugin-htm) give the same Preact vnodes as htm at run time. */
import { h, type VNode } from 'preact';
import { describe, expect, it } from 'vitest';
import { html } from '../../widget/components/html.js';
// @ts-expect-error: a plain .mjs build script without types
import { compileViews } from '../../scripts/build-widget.mjs';

/** The expression as the build compiles it (inside a module, as a view is). */
async function compile(src: string): Promise<string> {
  const code = (await compileViews(`import { html } from './html.js';\nexport default ${src};`)) as string;
  return code.replace(/^import [^;]+;\n/m, '').replace(/^export default /m, '');
}

/** Evaluates `source` (an expression using html``) both ways with the same scope. */
async function both(source: string, scope: Record<string, unknown>): Promise<[unknown, unknown]> {
  const names = Object.keys(scope);
  const run = (body: string, extra: Record<string, unknown>) =>
    new Function(...names, ...Object.keys(extra), `return ${body}`)(...Object.values(scope), ...Object.values(extra));
  return [run(source, { html }), run(await compile(source), { __ahH: h })];
}

/** A vnode without Preact's internal bookkeeping fields. */
function plain(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(plain);
  if (!node || typeof node !== 'object' || !('type' in node)) return node;
  const v = node as VNode<Record<string, unknown>>;
  const { children, ...rest } = v.props;
  return { type: v.type, key: v.key, props: rest, children: Array.isArray(children) ? children.map(plain) : plain(children) };
}

describe('compiled views (build)', () => {
  it('elements, static and dynamic props, boolean props, mixed attribute values, text trimming', async () => {
    const [a, b] = await both(
      'html`<div class="a ${cls} z" data-x=${x} hidden>\n  <span>hi ${name}!</span>\n  <i />\n</div>`',
      { cls: 'mid', x: 3, name: 'Ann' },
    );
    expect(plain(b)).toEqual(plain(a));
    expect(plain(b)).toMatchObject({ type: 'div', props: { class: 'a mid z', 'data-x': 3, hidden: true } });
  });

  it('components, spread props, keys, nested templates in expressions, lists, multiple roots', async () => {
    const Item = (p: { label: string }) => h('b', null, p.label);
    const src =
      "html`<ul>${items.map((i) => html`<li key=${i}><${Item} ...${extra} label=${`n${i}`} /></li>`)}${flag && html`<p>{braces} 'q' \"d\"</p>`}</ul><footer/>`";
    const [a, b] = await both(src, { Item, items: [1, 2], extra: { label: 'x', title: 't' }, flag: true });
    expect(plain(b)).toEqual(plain(a));
    expect(await compile(src)).not.toContain('html`');
    expect(JSON.stringify(plain(b))).toContain('"title":"t"');
  });
});
