import { acquireBackend, showNoWebGpuBanner } from '../shared/backend.js';
import { el, formatMs } from '../shared/draw.js';
import { buildCases, describeOptions } from './cases.js';
import { runCase, type CaseResult } from './run.js';

/** The run's outcome for Playwright; `done` flips last. */
export interface CrosscheckReport {
  done: boolean;
  backend: 'gpu' | 'cpu';
  adapter: string;
  seed: number;
  total: number;
  passed: number;
  failed: number;
  results: CaseResult[];
}

declare global {
  interface Window {
    condenseCrosscheck?: CrosscheckReport;
  }
}

const params = new URLSearchParams(location.search);
const seed = Number(params.get('seed') ?? 1);
const cases = buildCases(Number.isInteger(seed) ? seed : 1);
const report: CrosscheckReport = { done: false, backend: 'cpu', adapter: '', seed, total: cases.length, passed: 0, failed: 0, results: [] };
window.condenseCrosscheck = report;

const summary = document.getElementById('summary')!;
const status = document.getElementById('status')!;
const tbody = document.querySelector<HTMLTableSectionElement>('#results tbody')!;

function cell(text: string, cls = ''): HTMLTableCellElement {
  return el('td', cls ? { class: cls } : {}, text);
}

function row(c: ReturnType<typeof buildCases>[number], r: CaseResult): HTMLTableRowElement {
  const tr = el('tr', { 'data-case': String(c.id), 'data-op': c.op, 'data-pass': String(r.pass) });
  const verdict = r.comparison === undefined && r.pass ? 'CPU only' : r.pass ? 'pass' : 'FAIL';
  tr.append(
    cell(String(c.id), 'num'),
    cell(c.op),
    cell(`[${c.x.join(',')}]`),
    cell(describeOptions(c)),
    cell(r.outShape.length ? `[${r.outShape.join(',')}]` : '—'),
    cell(r.comparison ? (r.comparison.maxAbsDiff === 0 ? '0' : r.comparison.maxAbsDiff.toExponential(2)) : '—', 'num max-error'),
    cell(r.comparison ? String(r.comparison.mismatches) : '—', 'num'),
    cell(c.tol.atol === 0 && c.tol.rtol === 0 ? 'exact' : `${c.tol.atol.toExponential(0)} + ${c.tol.rtol.toExponential(0)}·|ref|`, 'num'),
    cell(formatMs(r.ms), 'num'),
  );
  const v = el('td', { class: r.pass ? 'ok verdict' : 'bad verdict' }, verdict);
  if (r.error) v.title = r.error;
  tr.append(v);
  if (r.error) tr.append(cell(r.error, 'error'));
  return tr;
}

async function main(): Promise<void> {
  const backend = await acquireBackend();
  report.backend = backend.kind;
  if (backend.kind === 'cpu') showNoWebGpuBanner(backend.reason);
  else report.adapter = backend.adapterName;
  const engine = backend.kind === 'gpu' ? backend.engine : null;
  status.textContent = engine ? `GPU: ${report.adapter}` : 'CPU reference only';
  const t0 = performance.now();
  for (const c of cases) {
    const r = await runCase(engine, c);
    report.results.push(r);
    if (r.pass) report.passed++;
    else report.failed++;
    tbody.append(row(c, r));
    summary.textContent = `running… ${report.results.length} / ${report.total}`;
  }
  const ms = performance.now() - t0;
  summary.textContent = engine
    ? `${report.passed} / ${report.total} cases passed, ${report.failed} failed (seed ${seed}, ${formatMs(ms)})`
    : `No WebGPU: the CPU reference ran all ${report.total} cases, but there is no GPU result to check (seed ${seed}).`;
  summary.className = report.failed === 0 ? 'ok' : 'bad';
  Object.assign(summary.dataset, { total: String(report.total), passed: String(report.passed), failed: String(report.failed), backend: report.backend });
  report.done = true;
  document.body.dataset.done = '1';
}

main().catch((e) => {
  summary.textContent = `Cross-check stopped: ${(e as Error).message}`;
  summary.className = 'bad';
  document.body.dataset.done = 'error';
});
