// The profile page's whole-model section: bench/models.ts's cases on this browser's adapter, Condense
// beside tfjs-webgpu (Layers models) and onnxruntime-web WebGPU and wasm (ONNX models), each loaded
// fresh per model. The Node CLI's `--models` drives this section in headless Chromium.
import type * as TfCore from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
// Static, not lazy: Vite's dev server pre-bundles what the page imports up front; a dependency it
// first meets in a dynamic import makes it re-optimize and refuse the stale module mid-run.
import * as ortWebgpu from 'onnxruntime-web/webgpu';
import { condenseEngine, ortEngine, tfjsEngine, type ModelEngine, type ModelEngineId } from '../../bench/model-engines.js';
import { defaultModelSettings, runModelBench, type ModelBenchReport, type ModelBenchSettings, type ModelPreset } from '../../bench/model-run.js';
import { ENGINE_COLUMNS, RATIO_COLUMNS, engineRows, modelLegend, modelProblems, type ModelColumn } from '../../bench/model-table.js';
import { MODEL_CASES, fetchFiles } from '../../bench/models.js';
import { createEngine, type Engine } from '../../src/index.js';

const ENGINE_IDS: ModelEngineId[] = ['condense', 'tfjs-webgpu', 'ort-webgpu', 'ort-wasm'];

declare global {
  interface Window {
    /** The last whole-model report, for the CLI and the browser test. */
    condenseModelBench?: ModelBenchReport;
  }
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

function table<R>(columns: ModelColumn<R>[], rows: R[], id: string): HTMLTableElement {
  const head = el('tr', {}, ...columns.map((c) => el('th', { textContent: c.header })));
  const body = rows.map((r) =>
    el('tr', {}, ...columns.map((c) => {
      const td = el('td', { textContent: c.cell(r) });
      if (c.numeric) td.className = 'num';
      if (/^(FAIL|ERROR)|not met/.test(td.textContent ?? '')) td.classList.add('fail');
      return td;
    })),
  );
  return el('table', { id }, el('thead', {}, head), el('tbody', {}, ...body));
}

/** onnxruntime-web's WebGPU build, which runs the wasm backend too; its 25 MB of wasm load on first use. */
function loadOrt(): typeof import('onnxruntime-web') {
  const m: any = ortWebgpu;
  const ort = m.InferenceSession ? m : m.default;
  // Vite pre-bundles the package, so its own URL for the wasm files points nowhere: serve them from the package.
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  return ort;
}

export function setupModels(tf: typeof TfCore, adapterEngine: Engine, environment: Record<string, string>, preset: ModelPreset, setStatus: (text: string) => void): void {
  const params = new URLSearchParams(location.search);
  const chosen = new Set(params.get('models')?.split(',') ?? defaultModelSettings(preset).modelIds);
  const d = defaultModelSettings(preset);
  const checks = MODEL_CASES.map((m) => {
    const box = el('input', { type: 'checkbox', checked: chosen.has(m.id) });
    box.dataset.model = m.id;
    box.setAttribute('aria-label', `run model ${m.id}`);
    return { m, box };
  });
  const engineBoxes = ENGINE_IDS.map((id) => {
    const box = el('input', { type: 'checkbox', checked: !params.get('skip')?.split(',').includes(id), disabled: id === 'condense' });
    box.dataset.engine = id;
    return { id, box };
  });
  const warmup = el('input', { type: 'number', id: 'model-warmup', min: '0', step: '1', value: String(params.get('warmup') ?? d.warmup) });
  const iterations = el('input', { type: 'number', id: 'model-iterations', min: '1', step: '1', value: String(params.get('iterations') ?? d.iterations) });
  const run = el('button', { id: 'run-models', textContent: 'Run models' });
  const bar = el('progress', { id: 'models-progress', max: 1, value: 0 });
  const step = el('span', { className: 'status', id: 'models-step' });
  const results = el('div', { className: 'scroll', id: 'model-results' });
  const legend = el('p', { id: 'model-legend' });
  legend.style.whiteSpace = 'pre-wrap';
  const exportButton = el('button', { id: 'export-models', textContent: 'Export model JSON', disabled: true });
  const section = el(
    'section',
    { id: 'models' },
    el('h2', { textContent: 'Whole models' }),
    el('p', {
      className: 'lead',
      textContent:
        'Real models as users have them, each engine loaded fresh per model on this adapter: load (fetch + parse + upload), cold (the first result, compilation included), ' +
        'then warm runs of predict + readback, the engines taking turns. Condense adds its GPU time, dispatches, pipelines and peak GPU memory. Models are read from the dev server (the fetch scripts put them in node_modules/.cache).',
    }),
    el('div', { className: 'controls' }, ...checks.map(({ m, box }) => el('label', { title: m.title }, box, ` ${m.id}`))),
    el('div', { className: 'controls' }, ...engineBoxes.map(({ id, box }) => el('label', {}, box, ` ${id}`)), el('label', {}, 'warm-up ', warmup), el('label', {}, 'timed runs ', iterations)),
    el('div', { className: 'controls' }, run, bar, step),
    results,
    legend,
    exportButton,
  );
  document.body.insertBefore(section, document.querySelector('body > script'));

  let report: ModelBenchReport | null = null;
  const go = async () => {
    const settings: ModelBenchSettings = { ...defaultModelSettings(preset), modelIds: checks.filter((c) => c.box.checked).map((c) => c.m.id) };
    settings.warmup = Math.max(0, Math.floor(Number(warmup.value)));
    settings.iterations = Math.max(1, Math.floor(Number(iterations.value)));
    settings.skip = engineBoxes.filter((e) => !e.box.checked).map((e) => e.id);
    if (settings.modelIds.length === 0) return setStatus('choose at least one model');
    run.disabled = true;
    exportButton.disabled = true;
    document.body.dataset.models = 'running';
    try {
      const engines: ModelEngine[] = [condenseEngine(() => createEngine())];
      const env = { ...environment };
      if (!settings.skip.includes('tfjs-webgpu')) {
        engines.push(tfjsEngine(tf, tfl));
      }
      if (!settings.skip.includes('ort-webgpu') || !settings.skip.includes('ort-wasm')) {
        const ort = loadOrt();
        env.onnxruntimeWeb = String(ort.env.versions?.web ?? '?');
        env.ortWasmThreads = String(ort.env.wasm.numThreads ?? 'default');
        if (!settings.skip.includes('ort-webgpu')) engines.push(ortEngine(ort, 'webgpu'));
        if (!settings.skip.includes('ort-wasm')) engines.push(ortEngine(ort, 'wasm'));
      }
      report = await runModelBench(
        {
          engines,
          files: fetchFiles('/'),
          adapter: adapterEngine.adapterInfo,
          environment: env,
          onProgress: (done, total, label) => {
            bar.max = total;
            bar.value = done;
            step.textContent = `${done}/${total} ${label}`;
          },
        },
        settings,
      );
      window.condenseModelBench = report;
      results.replaceChildren(table(ENGINE_COLUMNS, engineRows(report), 'model-engines'), table(RATIO_COLUMNS, report.models, 'model-ratios'));
      legend.textContent = modelLegend(report);
      exportButton.disabled = false;
      const problems = modelProblems(report);
      setStatus(problems.length ? `models: ${problems.join('; ')}` : 'models done; every output matches');
      document.body.dataset.models = 'done';
    } catch (e) {
      console.error(e);
      setStatus(`models: error: ${(e as Error).message}`);
      document.body.dataset.models = 'error';
    } finally {
      run.disabled = false;
    }
  };
  run.addEventListener('click', go);
  exportButton.addEventListener('click', () => {
    if (!report) return;
    const blob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
    const a = el('a', { href: URL.createObjectURL(blob), download: `condense-models-${report.startedAt.replace(/[:.]/g, '-')}.json` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  });
  if (params.get('autorun') === 'models') void go();
}
