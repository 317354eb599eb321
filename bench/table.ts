/** The one plain-text table the bench prints: sections, then rows of measure, figure, target, result. */

export type Row =
  | { section: string; name?: undefined }
  | { section?: undefined; name: string; figure: string; target: string; result: '' | 'PASS' | 'MISS' };

export function renderTable(rows: readonly Row[]): string {
  const head = { name: 'Measure', figure: 'Figure', target: 'Target', result: 'Result' };
  const cells = rows.filter((r): r is Extract<Row, { name: string }> => r.name !== undefined);
  const width = (key: keyof typeof head) => Math.max(head[key].length, ...cells.map((r) => r[key].length));
  const w = { name: width('name'), figure: width('figure'), target: width('target'), result: width('result') };
  const line = (r: typeof head) =>
    `  ${r.name.padEnd(w.name)}  ${r.figure.padEnd(w.figure)}  ${r.target.padEnd(w.target)}  ${r.result}`.trimEnd();
  const out = [line(head), `  ${'-'.repeat(w.name + w.figure + w.target + w.result + 6)}`];
  for (const row of rows) out.push(row.name === undefined ? row.section : line(row));
  return out.join('\n');
}
