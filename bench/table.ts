// The results table, defined once: the CLI prints it as text, the page renders it as HTML.
import type { BenchReport, CaseResult } from './run.js';

export interface Column {
  header: string;
  /** Numeric cells are checked by the page test: finite and positive. */
  numeric: boolean;
  cell(r: CaseResult): string;
}

const fmt = (v: number, digits = 3): string => {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  return v.toPrecision(digits);
};

const ok = (m: { ok: boolean; maxAbsDiff: number } | null) => (m === null ? '-' : m.ok ? 'ok' : `FAIL ${m.maxAbsDiff.toExponential(1)}`);

export const COLUMNS: Column[] = [
  { header: 'case', numeric: false, cell: (r) => r.id },
  { header: 'size', numeric: false, cell: (r) => r.size },
  { header: 'ms', numeric: true, cell: (r) => fmt(r.condense.time.median) },
  { header: 'min', numeric: true, cell: (r) => fmt(r.condense.time.min) },
  { header: 'max', numeric: true, cell: (r) => fmt(r.condense.time.max) },
  { header: 'wall ms', numeric: true, cell: (r) => fmt(r.condense.wall.median) },
  { header: 'readback', numeric: true, cell: (r) => fmt(r.condense.readback.median) },
  { header: 'GB/s', numeric: true, cell: (r) => fmt(r.condense.gbps) },
  { header: 'GFLOP/s', numeric: true, cell: (r) => fmt(r.condense.gflops) },
  { header: '% ceiling', numeric: true, cell: (r) => fmt(r.condense.ceilingPct) },
  { header: '% stream', numeric: true, cell: (r) => fmt(r.condense.streamPct) },
  { header: 'tfjs ms', numeric: true, cell: (r) => (r.tfjs ? fmt(r.tfjs.time.median) : '-') },
  { header: 'tfjs %ceil', numeric: true, cell: (r) => (r.tfjs ? fmt(r.tfjs.ceilingPct) : '-') },
  { header: 'vs tfjs', numeric: true, cell: (r) => (r.vsTfjs ? `${fmt(r.vsTfjs.ratio)}x` : '-') },
  { header: 'op+read ms', numeric: true, cell: (r) => fmt(r.condense.opRead.median) },
  { header: 'tfjs op+read', numeric: true, cell: (r) => (r.tfjs ? fmt(r.tfjs.opRead.median) : '-') },
  { header: 'vs tfjs op+read', numeric: true, cell: (r) => (r.vsTfjsOpRead !== null ? `${fmt(r.vsTfjsOpRead)}x` : '-') },
  { header: 'CPU ms', numeric: true, cell: (r) => (r.cpu ? fmt(r.cpu.time.median) : '-') },
  { header: 'vs CPU', numeric: true, cell: (r) => (r.vsCpu !== null ? `${fmt(r.vsCpu)}x` : '-') },
  { header: 'match', numeric: false, cell: (r) => `${ok(r.match.tfjs)}/${ok(r.match.cpu)}` },
];

/** Plain-text table, columns padded; numbers right-aligned. */
export function textTable(rows: CaseResult[]): string {
  const cells = [COLUMNS.map((c) => c.header), ...rows.map((r) => COLUMNS.map((c) => c.cell(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((v, i) => (COLUMNS[i].numeric ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** What the figures mean, printed under the table. */
export function legend(report: BenchReport): string {
  const { ceiling, timing } = report;
  const src = (s: string | null) => (s === 'timestamp' ? 'GPU time (timestamp-query)' : s === 'wall' ? 'wall time to completion' : 'not run');
  return [
    `ms/min/max: Condense, ${src(timing.condense)}, median/min/max of ${report.settings.iterations} runs after ${report.settings.warmup} warm-up; wall ms: submit to done; readback: ms to copy + map the output.`,
    `tfjs ms: tfjs-webgpu ${report.cases[0]?.tfjs ? src(report.cases[0].tfjs.source) : src(timing.tfjs)}. vs tfjs: tfjs ms / Condense ms (> 1: Condense faster; wall times unless both have timestamps). vs CPU: CPU reference ms / Condense wall ms. match: outputs vs tfjs / vs CPU.`,
    `op+read ms: Condense, wall-clock from the op's recording to its output read back, as a user calls it (run, then await read(); runs of their own without timestamps, median); tfjs op+read: the same for tfjs (run, then await data()); vs tfjs op+read: their ratio, the wall-clock one a user feels, beside the GPU-time vs tfjs.`,
    `% ceiling: GB/s over the bandwidth ceiling ${fmt(ceiling.gbps)} GB/s (stream kernel ${fmt(ceiling.stream.gbps)} GB/s, copyBufferToBuffer ${fmt(ceiling.copy.gbps)} GB/s, ${(ceiling.floats * 4) / 2 ** 20} MiB). % stream: over the stream kernel's GB/s alone.`,
  ].join('\n');
}

/** Condense's median GPU time per dispatch, one line per case (empty without timestamps). */
export function dispatchLines(rows: CaseResult[]): string[] {
  return rows
    .filter((r) => r.condense.passes.length > 0)
    .map((r) => `${r.id}: ${r.condense.passes.map((p) => `${p.kernel} ${fmt(p.ms)} ms`).join(', ')}`);
}
