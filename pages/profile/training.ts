// The profile page's training section: bench/training.ts on this browser's adapter, Condense's fit
// beside tfjs-layers' fit on tfjs-webgpu and tfjs-cpu (heads on cached features, a digit CNN
// epoch). `?autorun=training` runs it on load (the browser test, and anyone sharing a link).
import type * as TfCore from '@tensorflow/tfjs-core';
// Static, as models.ts: the dev server pre-bundles what the page imports up front.
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { defaultTrainingSettings, runTrainingBench, TRAINING_CASES, TRAINING_ENGINES, type TrainingCaseId, type TrainingPreset, type TrainingReport } from '../../bench/training.js';
import { TRAINING_COLUMNS, trainingLegend, trainingProblems } from '../../bench/training-table.js';
import type { Engine } from '../../src/index.js';

declare global {
  interface Window {
    /** The last training report, for the browser test. */
    condenseTrainingBench?: TrainingReport;
  }
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

function resultTable(report: TrainingReport): HTMLTableElement {
  const head = el('tr', {}, ...TRAINING_COLUMNS.map((c) => el('th', { textContent: c.header })));
  const rows = report.cases.map((r) =>
    el('tr', {}, ...TRAINING_COLUMNS.map((c) => {
      const td = el('td', { textContent: c.cell(r) });
      if (c.numeric) td.className = 'num';
      if (/^ERROR|not met/.test(td.textContent ?? '')) td.classList.add('fail');
      return td;
    })),
  );
  return el('table', { id: 'training-table' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

export function setupTraining(tf: typeof TfCore, engine: Engine, environment: Record<string, string>, preset: TrainingPreset, setStatus: (text: string) => void): void {
  const params = new URLSearchParams(location.search);
  const chosen = new Set(params.get('training')?.split(',') ?? TRAINING_CASES.map((c) => c.id));
  const caseBoxes = TRAINING_CASES.map((c) => {
    const box = el('input', { type: 'checkbox', checked: chosen.has(c.id) });
    box.dataset.trainingCase = c.id;
    return { id: c.id, title: c.title, box };
  });
  const engineBoxes = TRAINING_ENGINES.map((id) => {
    const box = el('input', { type: 'checkbox', checked: !params.get('skip')?.split(',').includes(id), disabled: id === 'condense' });
    box.dataset.trainingEngine = id;
    return { id, box };
  });
  const run = el('button', { id: 'run-training', textContent: 'Run training' });
  const bar = el('progress', { id: 'training-progress', max: 1, value: 0 });
  const step = el('span', { className: 'status', id: 'training-step' });
  const results = el('div', { className: 'scroll', id: 'training-results' });
  const legend = el('p', { id: 'training-legend' });
  legend.style.whiteSpace = 'pre-wrap';
  const section = el(
    'section',
    { id: 'training' },
    el('h2', { textContent: 'Training' }),
    el('p', {
      className: 'lead',
      textContent:
        "Steps per second of fit: a Dense head on cached 1,280-value features (the transfer page's case) and one epoch of the digit CNN, Condense beside tfjs-layers' fit " +
        'on tfjs-webgpu (this adapter) and tfjs-cpu, same seeded data, model, Adam and batch size. The target is 3x tfjs-webgpu.',
    }),
    el('div', { className: 'controls' }, ...caseBoxes.map(({ id, title, box }) => el('label', { title }, box, ` ${id}`))),
    el('div', { className: 'controls' }, ...engineBoxes.map(({ id, box }) => el('label', {}, box, ` ${id}`))),
    el('div', { className: 'controls' }, run, bar, step),
    results,
    legend,
  );
  document.body.insertBefore(section, document.querySelector('body > script'));

  const go = async () => {
    const settings = defaultTrainingSettings(preset);
    settings.caseIds = caseBoxes.filter((c) => c.box.checked).map((c) => c.id as TrainingCaseId);
    settings.skip = engineBoxes.filter((e) => !e.box.checked).map((e) => e.id);
    if (settings.caseIds.length === 0) return setStatus('choose at least one training case');
    run.disabled = true;
    document.body.dataset.training = 'running';
    try {
      const report = await runTrainingBench(
        {
          engine, tf, tfl, adapter: engine.adapterInfo, environment: { ...environment, tfjsLayers: tfl.version_layers },
          onProgress: (done, total, label) => {
            bar.max = total;
            bar.value = done;
            step.textContent = `${done}/${total} ${label}`;
          },
        },
        settings,
      );
      window.condenseTrainingBench = report;
      results.replaceChildren(resultTable(report));
      legend.textContent = trainingLegend(report);
      const problems = trainingProblems(report);
      setStatus(problems.length ? `training: ${problems.join('; ')}` : 'training done');
      document.body.dataset.training = 'done';
    } catch (e) {
      console.error(e);
      setStatus(`training: error: ${(e as Error).message}`);
      document.body.dataset.training = 'error';
    } finally {
      run.disabled = false;
    }
  };
  run.addEventListener('click', go);
  if (params.get('autorun') === 'training') void go();
}
