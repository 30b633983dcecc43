import { acquireBackend, showNoWebGpuBanner, type Backend } from '../shared/backend.js';
import { describeComparison } from '../shared/compare.js';
import { channel, el, formatMs } from '../shared/draw.js';
import { builtinImage, decodeImageFile, imageToGray, smoothRandomMaps, type GrayImage } from '../shared/image.js';
import { rng } from '../../src/rng.js';
import { gapRow } from './gap.js';
import { BANK, bankFilter, KERNEL_NAMES, KERNELS, kernelNameOf } from './kernels.js';
import { Panel, gpuTimeText } from './panel.js';
import { dotsImage, litCells, runChain, runDots, runGapOnImage, runGapOnMaps, type ChainResult, type GapResult, type PaddingName, type PoolSettings, type StageResult } from './pipeline.js';

/** What the page last computed, for Playwright and for anyone poking at it in the console. */
export interface LessonDebug {
  backend: 'gpu' | 'cpu';
  adapter: string;
  runs: number;
  input?: GrayImage;
  chain?: ChainResult;
  dots?: { before: StageResult; after: StageResult; litBefore: number; litAfter: number };
  gap?: GapResult;
  error?: string;
}

declare global {
  interface Window {
    condenseLesson?: LessonDebug;
  }
}

const DOTS_SIZE = 32;
// Ten and thirteen: with 2x2 windows, stride 2, the dots share a cell only after three poolings.
const DOTS = { row: 14, col: 10, gap: 3 };

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`lesson.html is missing #${id}`);
  return e as T;
}

const ui = {
  status: byId('status'),
  source: byId<HTMLSelectElement>('source'),
  file: byId<HTMLInputElement>('file'),
  size: byId<HTMLSelectElement>('size'),
  inputError: byId('input-error'),
  dropZone: byId('input-section'),
  kernel: byId<HTMLSelectElement>('kernel'),
  grid: byId('kernel-grid'),
  window: byId<HTMLInputElement>('pool-window'),
  stride: byId<HTMLInputElement>('pool-stride'),
  padding: byId<HTMLSelectElement>('pool-padding'),
  repeats: byId<HTMLInputElement>('repeats'),
  gapSource: byId<HTMLSelectElement>('gap-source'),
  gapSeed: byId<HTMLInputElement>('gap-seed'),
};

// ---- panels ----

const stages = byId('stages');
const inputPanel = new Panel(stages, 'input', 'Input · grayscale', 'gray', 220);
stages.append(el('span', { class: 'arrow' }, '→'));
const filterPanel = new Panel(stages, 'filter', '1 · Filter · conv2d', 'diverging', 220);
stages.append(el('span', { class: 'arrow' }, '→'));
const detectPanel = new Panel(stages, 'detect', '2 · Detect · ReLU', 'viridis', 220);
stages.append(el('span', { class: 'arrow' }, '→'));
const condensePanel = new Panel(stages, 'condense', '3 · Condense · max pool', 'viridis', 220);
const dots = byId('dots');
const dotsBefore = new Panel(dots, 'dots-before', 'Two dots', 'viridis', 200);
dots.append(el('span', { class: 'arrow' }, '→'));
const dotsAfter = new Panel(dots, 'dots-after', 'After pooling', 'viridis', 200);

// ---- controls ----

for (const name of KERNEL_NAMES) ui.kernel.append(el('option', { value: name }, KERNELS[name].label));
ui.kernel.append(el('option', { value: 'custom' }, 'custom'));
const cells: HTMLInputElement[] = [];
for (let i = 0; i < 9; i++) {
  const input = el('input', { type: 'number', step: 'any', 'aria-label': `kernel row ${Math.floor(i / 3) + 1} column ${(i % 3) + 1}` });
  cells.push(input);
  ui.grid.append(input);
}

function setKernel(values: readonly number[]): void {
  values.forEach((v, i) => (cells[i].value = String(v)));
}

function kernelValues(): number[] {
  return cells.map((c) => (Number.isFinite(c.valueAsNumber) ? c.valueAsNumber : 0));
}

ui.kernel.value = 'edge';
setKernel(KERNELS.edge.values);
ui.kernel.addEventListener('change', () => {
  if (ui.kernel.value !== 'custom') setKernel(KERNELS[ui.kernel.value as keyof typeof KERNELS].values);
  schedule();
});
for (const c of cells) {
  c.addEventListener('input', () => {
    ui.kernel.value = kernelNameOf(kernelValues());
    schedule();
  });
}
for (const c of [ui.size, ui.source, ui.padding, ui.gapSource]) c.addEventListener('change', schedule);
const numbers: [HTMLInputElement, number, number][] = [[ui.window, 1, 8], [ui.stride, 1, 8], [ui.repeats, 1, 6], [ui.gapSeed, 0, 1e9]];
for (const [input, lo, hi] of numbers) {
  // Recompute while typing; tidy the field (clamp, round) only once the edit is committed.
  input.addEventListener('input', schedule);
  input.addEventListener('change', () => {
    const v = intFrom(input, lo, hi);
    if (String(v) !== input.value) input.value = String(v);
    schedule();
  });
}

let uploaded: HTMLImageElement | null = null;

async function useFile(file: File | undefined): Promise<void> {
  if (!file) return;
  ui.inputError.textContent = '';
  try {
    uploaded = await decodeImageFile(file);
    const option = ui.source.querySelector<HTMLOptionElement>('option[value="upload"]')!;
    option.disabled = false;
    option.textContent = `your image: ${file.name}`;
    ui.source.value = 'upload';
    schedule();
  } catch (e) {
    ui.inputError.textContent = (e as Error).message;
  }
}

ui.file.addEventListener('change', () => void useFile(ui.file.files?.[0]));
ui.dropZone.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  ui.dropZone.classList.add('over');
});
ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('over'));
ui.dropZone.addEventListener('drop', (ev) => {
  ev.preventDefault();
  ui.dropZone.classList.remove('over');
  void useFile(ev.dataTransfer?.files[0]);
});

function intFrom(input: HTMLInputElement, lo: number, hi: number): number {
  const v = Math.round(input.valueAsNumber);
  return Number.isFinite(v) ? Math.min(Math.max(v, lo), hi) : lo;
}

// ---- running ----

let backend: Backend = { kind: 'cpu', reason: 'starting' };
const debug: LessonDebug = { backend: 'cpu', adapter: '', runs: 0 };
window.condenseLesson = debug;

function currentImage(size: number): GrayImage {
  if (ui.source.value === 'upload' && uploaded) return imageToGray(uploaded, size);
  return builtinImage(size);
}

function showStage(panel: Panel, r: StageResult, extra = ''): void {
  panel.show(r.shape, channel(r.data, r.shape), r.shape[1], r.shape[2], extra, r);
}

async function render(): Promise<void> {
  const t0 = performance.now();
  const size = Number(ui.size.value);
  const pool: PoolSettings = { window: intFrom(ui.window, 1, 8), stride: intFrom(ui.stride, 1, 8), padding: ui.padding.value as PaddingName };
  const repeats = intFrom(ui.repeats, 1, 6);
  const image = currentImage(size);
  debug.input = image;
  inputPanel.show([1, size, size, 1], image.data, size, size, ui.source.value === 'upload' && uploaded ? 'your image' : 'built-in');

  const chain = await runChain(backend, image.data, size, kernelValues(), pool, repeats);
  debug.chain = chain;
  showStage(filterPanel, chain.filter);
  showStage(detectPanel, chain.detect);
  if (chain.condense instanceof Error) condensePanel.showError(chain.condense.message);
  else showStage(condensePanel, chain.condense, `${repeats}× ${pool.window}×${pool.window} window, stride ${pool.stride}, '${pool.padding}'`);

  const dotsData = dotsImage(DOTS_SIZE, DOTS.row, DOTS.col, DOTS.gap);
  const before: StageResult = { shape: [1, DOTS_SIZE, DOTS_SIZE, 1], data: dotsData, cpu: dotsData, cpuMs: 0 };
  dotsBefore.show(before.shape, dotsData, DOTS_SIZE, DOTS_SIZE, `${litCells(dotsData)} lit cells, ${DOTS.gap} px apart`);
  try {
    const after = await runDots(backend, dotsData, DOTS_SIZE, pool, repeats);
    const lit = litCells(after.data);
    showStage(dotsAfter, after, `${lit} lit cell${lit === 1 ? '' : 's'} after ${repeats} pooling${repeats === 1 ? '' : 's'}`);
    dotsAfter.figure.dataset.lit = String(lit);
    debug.dots = { before, after, litBefore: litCells(dotsData), litAfter: lit };
  } catch (e) {
    dotsAfter.showError((e as Error).message);
    delete dotsAfter.figure.dataset.lit;
    debug.dots = undefined;
  }

  const gap = await runGap(image, size);
  debug.gap = gap;
  ui.status.textContent = statusText(performance.now() - t0);
  ui.status.classList.remove('error');
}

async function runGap(image: GrayImage, size: number): Promise<GapResult> {
  let gap: GapResult;
  let labels: string[];
  if (ui.gapSource.value === 'random') {
    const count = 8;
    const mapSize = 32;
    const maps = smoothRandomMaps(rng(intFrom(ui.gapSeed, 0, 1e9)), count, mapSize);
    const data = new Float32Array(mapSize * mapSize * count);
    maps.forEach((m, c) => m.forEach((v, i) => (data[i * count + c] = v)));
    gap = await runGapOnMaps(backend, data, [1, mapSize, mapSize, count]);
    labels = maps.map((_, i) => `map ${i + 1}`);
  } else {
    gap = await runGapOnImage(backend, image.data, size, bankFilter(BANK));
    labels = BANK.map((k) => k.label);
  }
  gapRow(byId('gap'), gap, labels);
  const check = byId('gap-check');
  const parts = [
    gap.pooled.gpuMs !== undefined ? `maps ${gap.maps.gpuMs !== undefined ? gpuTimeText(gap.maps) : 'GPU 0 ms'}, pooling ${gpuTimeText(gap.pooled)}` : '',
    `maps CPU ${formatMs(gap.maps.cpuMs)}, pooling CPU ${formatMs(gap.pooled.cpuMs)}`,
    gap.maps.comparison ? `maps: ${describeComparison(gap.maps.comparison)}` : '',
    gap.pooled.comparison ? `pooled: ${describeComparison(gap.pooled.comparison)}` : 'CPU reference only (no GPU)',
  ];
  check.textContent = parts.filter(Boolean).join(' · ');
  check.dataset.agrees = String((gap.pooled.comparison?.ok ?? true) && (gap.maps.comparison?.ok ?? true));
  return gap;
}

function statusText(ms: number): string {
  const where = backend.kind === 'gpu' ? `GPU: ${backend.adapterName}` : 'CPU reference (no WebGPU)';
  return `${where} · last update ${formatMs(ms)}`;
}

let running = false;
let again = false;

/** Coalesces control changes: one render at a time, and one more if anything changed meanwhile. */
function schedule(): void {
  if (running) {
    again = true;
    return;
  }
  running = true;
  document.body.dataset.busy = '1';
  void (async () => {
    try {
      do {
        again = false;
        try {
          await render();
          delete debug.error;
          delete document.body.dataset.error;
        } catch (e) {
          debug.error = (e as Error).message;
          document.body.dataset.error = debug.error;
          ui.status.textContent = `Error: ${debug.error}`;
          ui.status.classList.add('error');
          console.error(e);
        }
      } while (again);
    } finally {
      running = false;
      debug.runs++;
      document.body.dataset.runs = String(debug.runs);
      document.body.dataset.busy = '0';
    }
  })();
}

async function start(): Promise<void> {
  backend = await acquireBackend();
  debug.backend = backend.kind;
  document.body.dataset.backend = backend.kind;
  if (backend.kind === 'gpu') {
    debug.adapter = backend.adapterName;
    void backend.engine.lost.then((l) => {
      backend = { kind: 'cpu', reason: `The GPU device was lost (${l.reason}: ${l.message}).` };
      debug.backend = 'cpu';
      document.body.dataset.backend = 'cpu';
      showNoWebGpuBanner(backend.reason);
      schedule();
    });
  } else {
    showNoWebGpuBanner(backend.reason);
  }
  schedule();
}

void start();
