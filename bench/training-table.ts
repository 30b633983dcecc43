// The training benchmark's table (the CLI prints it as text, the profile page as HTML): per case
// each engine's steps per second and seconds per epoch, Condense's ratio to each tfjs backend, and
// whether the issue's target (3x tfjs-webgpu) is met.
import { TRAINING_TARGET, type TrainingCaseResult, type TrainingEngineId, type TrainingReport } from './training.js';

export interface TrainingColumn {
  header: string;
  numeric?: boolean;
  cell(c: TrainingCaseResult): string;
}

const rate = (c: TrainingCaseResult, e: TrainingEngineId) => {
  const r = c.engines.find((x) => x.engine === e);
  if (r) return `${r.stepsPerSecond.toFixed(r.stepsPerSecond < 10 ? 2 : 1)} (${r.epochSeconds.median.toFixed(2)} s)`;
  return c.errors.find((x) => x.engine === e) ? 'ERROR' : '—';
};
const ratio = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}x`);

export const TRAINING_COLUMNS: TrainingColumn[] = [
  { header: 'case', cell: (c) => c.id },
  { header: 'samples / steps', numeric: true, cell: (c) => `${c.samples} / ${c.steps}` },
  { header: 'Condense steps/s (epoch)', numeric: true, cell: (c) => rate(c, 'condense') },
  { header: 'tfjs-webgpu steps/s (epoch)', numeric: true, cell: (c) => rate(c, 'tfjs-webgpu') },
  { header: 'tfjs-cpu steps/s (epoch)', numeric: true, cell: (c) => rate(c, 'tfjs-cpu') },
  { header: 'vs tfjs-webgpu', numeric: true, cell: (c) => ratio(c.vsTfjsWebgpu) },
  { header: 'vs tfjs-cpu', numeric: true, cell: (c) => ratio(c.vsTfjsCpu) },
  { header: `target >= ${TRAINING_TARGET}x tfjs-webgpu`, cell: (c) => (c.targetMet === null ? '—' : c.targetMet ? 'met' : 'not met') },
];

export function trainingTextTable(report: TrainingReport): string {
  const rows = [TRAINING_COLUMNS.map((c) => c.header), ...report.cases.map((r) => TRAINING_COLUMNS.map((c) => c.cell(r)))];
  const widths = TRAINING_COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (TRAINING_COLUMNS[i].numeric ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function trainingLegend(report: TrainingReport): string {
  const s = report.settings;
  const lines = [
    `steps/s: batches of ${s.batchSize} per second over one fit epoch (wall-clock from the call to its History, median of ${s.iterations} epochs for the heads, ` +
      `${s.digitIterations} for the CNN, after ${s.warmup} warm-up epoch${s.warmup === 1 ? '' : 's'}); in brackets the median seconds per epoch.`,
    'Same seeded data, model, Adam(1e-3) and batch size for each engine; inputs uploaded once before the timed epochs (the heads train on features already on the device).',
    `Ratios: Condense's steps/s over the peer's (> 1: Condense is faster). tfjs-webgpu and Condense share this adapter (${report.adapter.description || report.adapter.vendor}).`,
    ...report.cases.map((c) => `${c.id}: ${c.title}; last epoch's loss ${c.engines.map((e) => `${e.engine} ${e.loss.toFixed(4)}`).join(', ')}`),
  ];
  for (const c of report.cases) for (const e of c.errors) lines.push(`${c.id} on ${e.engine}: ERROR ${e.message}`);
  return lines.join('\n');
}

/** Engines that failed: the CLI exits non-zero on them. */
export function trainingProblems(report: TrainingReport): string[] {
  return report.cases.flatMap((c) => c.errors.map((e) => `${c.id} on ${e.engine}: ${e.message}`));
}
