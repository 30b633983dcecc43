// The profile page: the bench cases (bench/cases.ts) on this browser's adapter, Condense beside
// tfjs-webgpu and the CPU reference, with a table, charts and a JSON export.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import tfWebgpuPkg from '@tensorflow/tfjs-backend-webgpu/package.json';
import { CASES, inputLayout, resolveCase, type CaseDef, type CaseSize, type Preset, type Shape4 } from '../../bench/cases.js';
import { defaultSettings, runBench, type BenchReport, type BenchSettings } from '../../bench/run.js';
import { COLUMNS, dispatchLines, legend } from '../../bench/table.js';
import pkg from '../../package.json';
import { createEngine, type Engine } from '../../src/index.js';
import { drawCharts } from './charts.js';
import { setupModels } from './models.js';
import { setupTraining } from './training.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

function setStatus(text: string, state?: string): void {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
}

function showAdapter(engine: Engine, tfjsNote: string): void {
  const info = engine.adapterInfo;
  const rows: [string, string][] = [
    ['description', info.description || '(not reported)'],
    ['vendor / architecture', `${info.vendor || '?'} / ${info.architecture || '?'}`],
    ['source', info.source],
    ['timestamp-query', info.features.includes('timestamp-query') ? 'yes: GPU times from timestamps' : 'no: wall time to completion'],
    ['features', info.features.join(', ')],
    ['tfjs-webgpu', tfjsNote],
  ];
  $('adapter').replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
  $('limits').querySelector('tbody')!.replaceChildren(
    ...Object.entries(info.limits).map(([k, v]) => {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td>${k}</td><td class="num">${v}</td>`;
      return tr;
    }),
  );
}

// ---- the settings form ----

interface CaseRow {
  def: CaseDef;
  enabled: HTMLInputElement;
  dims: HTMLInputElement[];
  outChannels: HTMLInputElement | null;
  output: HTMLTableCellElement;
}

let rows: CaseRow[] = [];

function numberInput(value: number, label: string): HTMLInputElement {
  const el = document.createElement('input');
  Object.assign(el, { type: 'number', min: '1', step: '1', value: String(value) });
  el.setAttribute('aria-label', label);
  return el;
}

function buildCaseTable(preset: Preset): void {
  const body = $('cases').querySelector('tbody')!;
  rows = CASES.map((def) => {
    const size = def[preset];
    const tr = document.createElement('tr');
    tr.dataset.case = def.id;
    const enabled = Object.assign(document.createElement('input'), { type: 'checkbox', checked: true });
    enabled.setAttribute('aria-label', `run ${def.id}`);
    const dims = size.input.map((v, i) => numberInput(v, `${def.id} ${inputLayout(def)[i]}`));
    const outChannels = size.outChannels === undefined ? null : numberInput(size.outChannels, `${def.id} output channels`);
    const output = document.createElement('td');
    const cells = [enabled, `${def.id}: ${def.title}`, ...dims, outChannels ?? '', output];
    for (const c of cells) {
      if (c instanceof HTMLTableCellElement) {
        tr.append(c);
        continue;
      }
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    }
    return { def, enabled, dims, outChannels, output };
  });
  body.replaceChildren(...rows.map((r) => r.output.parentElement!));
  for (const r of rows) for (const el of [...r.dims, r.outChannels]) el?.addEventListener('input', refreshOutputs);
  refreshOutputs();
}

function rowSize(r: CaseRow): CaseSize {
  return { input: r.dims.map((d) => Number(d.value)) as Shape4, outChannels: r.outChannels ? Number(r.outChannels.value) : undefined };
}

/** Shows each case's output shape, or why its size is rejected; returns whether all are valid. */
function refreshOutputs(): boolean {
  let valid = true;
  for (const r of rows) {
    try {
      r.output.textContent = `[${resolveCase(r.def, rowSize(r)).output.join(',')}]`;
      r.output.className = '';
    } catch (e) {
      r.output.textContent = (e as Error).message;
      r.output.className = 'error';
      valid = !r.enabled.checked && valid;
    }
  }
  return valid;
}

function applyPreset(preset: Preset): void {
  const d = defaultSettings(preset);
  input('warmup').value = String(d.warmup);
  input('iterations').value = String(d.iterations);
  input('cpuIterations').value = String(d.cpuIterations);
  buildCaseTable(preset);
}

function readSettings(): BenchSettings {
  const preset = $<HTMLSelectElement>('preset').value as Preset;
  const s = defaultSettings(preset);
  const chosen = rows.filter((r) => r.enabled.checked);
  if (chosen.length === 0) throw new Error('choose at least one case');
  if (!refreshOutputs()) throw new Error('a chosen case has an invalid size');
  s.caseIds = chosen.map((r) => r.def.id);
  for (const r of chosen) s.sizes[r.def.id] = rowSize(r);
  const count = (id: string, min: number) => {
    const v = Number(input(id).value);
    if (!Number.isInteger(v) || v < min) throw new Error(`${id} must be an integer ≥ ${min}`);
    return v;
  };
  s.warmup = count('warmup', 0);
  s.iterations = count('iterations', 1);
  s.cpuIterations = count('cpuIterations', 1);
  s.tfjs = input('tfjs').checked;
  s.cpu = input('cpu').checked;
  return s;
}

// ---- results ----

function showResults(report: BenchReport): void {
  const { ceiling } = report;
  $('ceiling').textContent =
    `Bandwidth ceiling ${ceiling.gbps.toPrecision(3)} GB/s: streaming kernel ${ceiling.stream.gbps.toPrecision(3)} GB/s, ` +
    `copyBufferToBuffer ${ceiling.copy.gbps.toPrecision(3)} GB/s over ${(ceiling.floats * 4) / 2 ** 20} MiB.`;
  const head = document.createElement('tr');
  head.innerHTML = COLUMNS.map((c) => `<th>${c.header}</th>`).join('');
  $('results').querySelector('thead')!.replaceChildren(head);
  $('results').querySelector('tbody')!.replaceChildren(
    ...report.cases.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.case = r.id;
      for (const col of COLUMNS) {
        const td = document.createElement('td');
        td.textContent = col.cell(r);
        if (col.numeric) td.className = 'num';
        if (td.textContent.startsWith('FAIL') || td.textContent.includes('/FAIL')) td.classList.add('fail');
        tr.append(td);
      }
      return tr;
    }),
  );
  const perDispatch = dispatchLines(report.cases);
  $('legend').textContent = legend(report) + (perDispatch.length ? `\n\nCondense GPU time per dispatch (median):\n${perDispatch.join('\n')}` : '');
  drawCharts(report, $<HTMLCanvasElement>('chart-time'), $<HTMLCanvasElement>('chart-ceiling'));
}

function exportJson(report: BenchReport): void {
  const blob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: `condense-profile-${report.startedAt.replace(/[:.]/g, '-')}.json` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---- start ----

async function startTfjs(): Promise<string> {
  try {
    if (!(await tf.setBackend('webgpu'))) throw new Error('setBackend("webgpu") returned false');
    await tf.ready();
    const b = tf.backend() as any;
    return `${tfWebgpuPkg.version} (core ${tf.version_core}); timestamp-query: ${b.supportTimestampQuery ? 'yes' : 'no'}`;
  } catch (e) {
    input('tfjs').checked = false;
    input('tfjs').disabled = true;
    return `unavailable: ${(e as Error).message}`;
  }
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const preset: Preset = params.get('preset') === 'small' ? 'small' : 'full';
  $<HTMLSelectElement>('preset').value = preset;
  applyPreset(preset);
  $('preset').addEventListener('change', () => applyPreset($<HTMLSelectElement>('preset').value as Preset));

  const engine = await createEngine();
  const tfjsNote = await startTfjs();
  showAdapter(engine, tfjsNote);
  const environment = {
    runtime: navigator.userAgent,
    condense: pkg.version,
    tfjsCore: tf.version_core,
    tfjsBackendWebgpu: tfWebgpuPkg.version,
  };

  setupModels(tf, engine, environment, preset, (text) => setStatus(text));
  setupTraining(tf, engine, environment, preset, (text) => setStatus(text));

  let report: BenchReport | null = null;
  const run = $<HTMLButtonElement>('run');
  const exportButton = $<HTMLButtonElement>('export');
  run.disabled = false;
  setStatus('ready', 'ready');
  run.addEventListener('click', async () => {
    let settings: BenchSettings;
    try {
      settings = readSettings();
    } catch (e) {
      setStatus((e as Error).message);
      return;
    }
    run.disabled = true;
    exportButton.disabled = true;
    setStatus('running…', 'running');
    const bar = $<HTMLProgressElement>('progress');
    try {
      report = await runBench(
        {
          engine,
          tf: settings.tfjs ? tf : null,
          environment,
          onProgress: (done, total, label) => {
            bar.max = total;
            bar.value = done;
            $('step').textContent = `${done}/${total} ${label}`;
          },
        },
        settings,
      );
      showResults(report);
      exportButton.disabled = false;
      const bad = report.cases.filter((c) => c.match.tfjs?.ok === false || c.match.cpu?.ok === false);
      setStatus(bad.length ? `done; outputs disagree in ${bad.map((c) => c.id).join(', ')}` : 'done; every output matches', 'done');
    } catch (e) {
      console.error(e);
      setStatus(`error: ${(e as Error).message}`, 'error');
    } finally {
      run.disabled = false;
    }
  });
  exportButton.addEventListener('click', () => report && exportJson(report));
}

main().catch((e) => {
  console.error(e);
  setStatus(`error: ${(e as Error).message}`, 'error');
});
