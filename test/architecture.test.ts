/**
 * The layers of docs/ARCHITECTURE.md, checked on the real import graph (dependency-cruiser, type-only
 * imports included): no import cycle, and imports only run down
 * wire, logger ← store/bus ← options ← transport ← chat ← plugin/server. Each folder's README.md says the same.
 */
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { beforeAll, describe, expect, it } from 'vitest';

const LIB_ROOT = 'lib/(index|ah-chat|host-server|events|probes|widget-assets|postgres|redis)\\.ts$';

const rules: IForbiddenRuleType[] = [
  { name: 'no-cycle', severity: 'error', from: { path: '^lib/' }, to: { circular: true } },
  { name: 'no-cycle', severity: 'error', from: { path: '^widget/' }, to: { circular: true } },
  { name: 'wire-is-the-bottom', severity: 'error', from: { path: '^lib/wire/' }, to: { path: '^lib/', pathNot: '^lib/wire/' } },
  { name: 'wire-has-no-io', severity: 'error', from: { path: '^lib/wire/' }, to: { dependencyTypes: ['core', 'npm'] } },
  {
    name: 'store-and-bus-below-the-chat',
    severity: 'error',
    from: { path: '^lib/(store|bus)/' },
    to: { path: ['^lib/(transport|chat|server)/', '^lib/(options|metrics)\\.ts$', LIB_ROOT] },
  },
  {
    name: 'options-below-transport',
    severity: 'error',
    from: { path: '^lib/(options|metrics)\\.ts$' },
    to: { path: ['^lib/(transport|chat|server)/', LIB_ROOT] },
  },
  { name: 'transport-below-chat', severity: 'error', from: { path: '^lib/transport/' }, to: { path: ['^lib/(chat|server)/', LIB_ROOT] } },
  { name: 'chat-below-the-plugin', severity: 'error', from: { path: '^lib/chat/' }, to: { path: ['^lib/server/', LIB_ROOT] } },
  { name: 'plugin-below-the-server', severity: 'error', from: { path: LIB_ROOT }, to: { path: '^lib/server/' } },
  { name: 'lib-without-widget-code', severity: 'error', from: { path: '^lib/' }, to: { path: '^widget/' } },
  {
    name: 'widget-sees-only-wire-types',
    severity: 'error',
    from: { path: '^widget/' },
    to: { path: '^lib/', pathNot: '^lib/wire/index\\.ts$' },
  },
  {
    name: 'widget-sees-only-wire-types',
    severity: 'error',
    from: { path: '^widget/' },
    to: { path: '^lib/', dependencyTypesNot: ['type-only'] },
  },
];

let result: ICruiseResult;

beforeAll(async () => {
  const cruised = await cruise(
    ['lib', 'widget'],
    {
      validate: true,
      ruleSet: { forbidden: rules },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: '\\.(json|tpl)$' },
    },
    undefined,
    { tsConfig: { fileName: 'tsconfig.json' } },
  );
  result = cruised.output as ICruiseResult;
}, 60_000);

describe('architecture', () => {
  it('reads the whole of lib/ and widget/', () => {
    const sources = result.modules.map((m) => m.source);
    expect(sources).toContain('lib/ah-chat.ts');
    expect(sources).toContain('lib/wire/index.ts');
    expect(sources).toContain('widget/index.ts');
    // Type-only imports are seen (the widget imports nothing else from lib/).
    const widget = result.modules.find((m) => m.source === 'widget/state.ts')!;
    expect(widget.dependencies.some((d) => d.resolved === 'lib/wire/index.ts' && d.dependencyTypes.includes('type-only'))).toBe(true);
  });

  it('has no import cycle and no import up the layers', () => {
    const violations = result.summary.violations.map((v) =>
      v.cycle ? `${v.rule.name}: ${v.from} → ${v.cycle.map((c) => c.name).join(' → ')}` : `${v.rule.name}: ${v.from} → ${v.to}`,
    );
    expect(violations).toEqual([]);
  });
});
