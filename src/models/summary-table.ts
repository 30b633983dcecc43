/** One row of a model summary: what the layer or step is, its output shape, its parameter count. */
export interface SummaryLine {
  label: string;
  /** null: a dimension fixed only at run time (the batch). */
  shape: readonly (number | null)[];
  params: number;
  /** A fourth column (Keras's "Connected to" for graphs), when the table has one. */
  extra?: string;
}

/**
 * The Keras-style summary shared by Sequential and OnnxModel: a title, three columns between
 * rules, the total parameter count, then `footer`. `dynamic` is how a null dimension is written.
 */
export function summaryTable(title: string, head: readonly string[], lines: readonly SummaryLine[], dynamic: string, total: number, footer: readonly string[]): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const cells = lines.map((l) => [l.label, `[${l.shape.map((d) => (d === null ? dynamic : d)).join(',')}]`, fmt(l.params), ...(head.length > 3 ? [l.extra ?? ''] : [])]);
  const widths = head.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)) + 2);
  const last = head.length - 1;
  const line = (row: readonly string[]) => row.map((v, c) => (c === last ? v : c === 2 ? v.padStart(widths[c] - 2).padEnd(widths[c]) : v.padEnd(widths[c]))).join('').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
  return [title, rule('_'), line(head), rule('='), ...cells.map(line), rule('='), `Total params: ${fmt(total)}`, ...footer].join('\n');
}
