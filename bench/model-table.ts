// The whole-model tables, defined once: the CLI prints them as text, the profile page as HTML.
// One row per model and engine, then one row per model with the ratios against the faster
// WebGPU peer and the issue's target.
import type { ModelBenchReport, ModelEngineResult, ModelResult } from './model-run.js';

export interface ModelColumn<R> {
  header: string;
  /** Numeric cells are checked by the tests: finite and positive, or '-' where not applicable. */
  numeric: boolean;
  cell(r: R): string;
}

export type EngineRow = { model: ModelResult; e: ModelEngineResult };

const fmt = (v: number, digits = 3): string => {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(digits);
};
const mib = (bytes: number) => fmt(bytes / 2 ** 20);
const ours = (e: ModelEngineResult, f: (e: ModelEngineResult) => string) => (e.engine === 'condense' && !e.error ? f(e) : '-');

export const ENGINE_COLUMNS: ModelColumn<EngineRow>[] = [
  { header: 'model', numeric: false, cell: ({ model }) => model.id },
  { header: 'engine', numeric: false, cell: ({ e }) => e.engine },
  { header: 'load ms', numeric: true, cell: ({ e }) => (e.error ? '-' : fmt(e.loadMs)) },
  { header: 'cold ms', numeric: true, cell: ({ e }) => (e.error ? '-' : fmt(e.coldMs)) },
  { header: 'warm ms', numeric: true, cell: ({ e }) => (e.error ? '-' : fmt(e.warm.median)) },
  { header: 'min', numeric: true, cell: ({ e }) => (e.error ? '-' : fmt(e.warm.min)) },
  { header: 'max', numeric: true, cell: ({ e }) => (e.error ? '-' : fmt(e.warm.max)) },
  { header: 'n', numeric: true, cell: ({ e }) => (e.error ? '-' : String(e.warm.n)) },
  { header: 'GPU ms', numeric: true, cell: ({ e }) => ours(e, (x) => (x.gpu ? fmt(x.gpu.median) : 'n/a')) },
  { header: 'dispatches', numeric: true, cell: ({ e }) => ours(e, (x) => String(x.counters?.dispatches ?? '-')) },
  { header: 'pipelines', numeric: true, cell: ({ e }) => ours(e, (x) => String(x.counters?.pipelines ?? '-')) },
  { header: 'peak MiB', numeric: true, cell: ({ e }) => ours(e, (x) => (x.counters ? mib(x.counters.peakBytes) : '-')) },
  { header: 'match', numeric: false, cell: ({ e }) => (e.error ? `ERROR ${e.error.slice(0, 60)}` : e.match === null ? '-' : e.match.ok ? `ok ${e.match.maxAbsDiff.toExponential(1)}` : `FAIL ${e.match.maxAbsDiff.toExponential(1)}`) },
];

export const RATIO_COLUMNS: ModelColumn<ModelResult>[] = [
  { header: 'model', numeric: false, cell: (m) => m.id },
  { header: 'faster WebGPU peer', numeric: false, cell: (m) => m.ratios?.peer ?? '-' },
  { header: 'warm ratio', numeric: true, cell: (m) => (m.ratios ? `${fmt(m.ratios.warm)}x` : '-') },
  { header: 'cold ratio', numeric: true, cell: (m) => (m.ratios ? `${fmt(m.ratios.cold)}x` : '-') },
  { header: 'target', numeric: false, cell: (m) => (m.ratios ? `>=${m.ratios.target}x ${m.ratios.met ? 'met' : 'not met'}` : '-') },
];

export function engineRows(report: ModelBenchReport): EngineRow[] {
  return report.models.flatMap((model) => model.engines.map((e) => ({ model, e })));
}

function text<R>(columns: ModelColumn<R>[], rows: R[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.cell(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((v, i) => (columns[i].numeric ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const modelEngineTable = (report: ModelBenchReport) => text(ENGINE_COLUMNS, engineRows(report));
export const modelRatioTable = (report: ModelBenchReport) => text(RATIO_COLUMNS, report.models);

/** What the figures mean, and what "fresh" was for each engine. */
export function modelLegend(report: ModelBenchReport): string {
  const { settings, adapter } = report;
  const fresh = new Map(report.models.flatMap((m) => m.engines.map((e) => [e.engine, e.fresh] as const)));
  const gpu = report.models.flatMap((m) => m.engines).find((e) => e.engine === 'condense' && e.gpuSource);
  return [
    `adapter: ${adapter.description || adapter.architecture || '?'} (vendor ${adapter.vendor || '?'}; ${adapter.source}), every engine on it in one run.`,
    'load ms: fetch + parse + upload. cold ms: the first predict + readback after load, compilation included. warm ms: median of predict + readback, wall-clock, ' +
      `${settings.iterations} runs after ${settings.warmup} warm-up, the engines taking turns (min/max/n beside). Every run uploads the input from the host.`,
    `GPU ms: Condense, ${gpu?.gpuSource === 'timestamp' ? `median of ${settings.gpuIterations} profiled runs from timestamp queries` : 'n/a (no timestamp-query on this adapter)'}. ` +
      'dispatches: per predict, after fusion. pipelines: compiled by the end. peak MiB: the most GPU memory the engine\'s buffers held at once (weights, pooled buffers).',
    `match: outputs vs Condense's, the issue's bound |diff| <= 1e-3 max(1, |peer|). Ratios: peer ms / Condense ms against the faster WebGPU peer (warm by median; cold against the faster cold start); target ${'>='}3x both.`,
    ...[...fresh].map(([id, f]) => `fresh ${id}: ${f}`),
  ].join('\n');
}

/** Engines whose outputs disagree with Condense's, or that failed. */
export function modelProblems(report: ModelBenchReport): string[] {
  return report.models.flatMap((m) => m.engines.filter((e) => e.error || e.match?.ok === false).map((e) => `${m.id}/${e.engine}: ${e.error ?? `outputs differ by ${e.match!.maxAbsDiff}`}`));
}
