// transfer.html: the lesson's last step, live. A real pretrained base (base.ts), classes the user
// names and fills (classes.ts) or the built-in set (examples.ts), every picture's pooled features
// drawn, the head trained with compile/fit (train.ts) under a live chart (chart.ts), predictions
// on new pictures (predict.ts) and the trained model saved in the TF.js Layers format.
import type { Engine, FunctionalModel } from '../../src/index.js';
import { acquireBackend, showNoWebGpuBanner } from '../shared/backend.js';
import { cssGradient } from '../shared/colormap.js';
import { el, formatValue } from '../shared/draw.js';
import { BaseMissingError, loadBase, meanFeatures, poolFeatures, type BaseInfo } from './base.js';
import { featureRange, MIN_CLASSES, renderClasses, type ClassData, type ClassEvents, type Picture } from './classes.js';
import { builtinSet, KINDS, toInput, type Kind } from './examples.js';
import { openCamera, type Camera } from './camera.js';
import { differenceCanvas, featureCanvas, fileToRgba } from './pictures.js';
import { Predictor, type PredictionDebug } from './predict.js';
import { runTraining, type TrainingDebug } from './training-view.js';
import type { Trained } from './train.js';

/** What the page last did, for Playwright and the console. */
export interface TransferDebug {
  backend: 'gpu' | 'cpu';
  adapter: string;
  runs: number;
  base?: BaseInfo;
  classes: { name: string; pictures: number; training: number; heldOut: number; withFeatures: number }[];
  /** The shared colour scale of the feature pictures. */
  featureMax?: number;
  /** The last batch of pictures through the base, per picture. */
  featureMsPerPicture?: number;
  /** Distance between the first two classes' mean features, and the mean distance of a picture to its own class's mean. */
  separation?: { between: number; within: number };
  training?: TrainingDebug;
  prediction?: PredictionDebug;
  save: { available: boolean; files?: string[] };
  error?: string;
}

declare global {
  interface Window {
    condenseTransfer?: TransferDebug;
  }
}

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`transfer.html is missing #${id}`);
  return e as T;
}

const ui = {
  status: byId('status'),
  baseInfo: byId('base-info'),
  builtin: byId<HTMLButtonElement>('builtin'),
  addClass: byId<HTMLButtonElement>('add-class'),
  clear: byId<HTMLButtonElement>('clear'),
  legend: byId('legend'),
  legendRange: byId('legend-range'),
  classes: byId('classes'),
  means: byId('class-means'),
  train: byId<HTMLButtonElement>('train'),
  save: byId<HTMLButtonElement>('save'),
  saveNote: byId('save-note'),
};

const debug: TransferDebug = { backend: 'cpu', adapter: '', runs: 0, classes: [], save: { available: false } };
window.condenseTransfer = debug;

let engine: Engine | null = null;
let base: FunctionalModel | null = null;
let trained: Trained | null = null;
let camera: Camera | null = null;
let nextId = 1;
let classes: ClassData[] = [
  { name: 'class A', pictures: [] },
  { name: 'class B', pictures: [] },
];

// ---- one task at a time; body[data-busy] stays 1 while any is queued ----

let queue: Promise<void> = Promise.resolve();
let pending = 0;

function setPhase(phase: string): void {
  document.body.dataset.phase = phase;
}

function work(what: string, fn: () => Promise<void>): Promise<void> {
  pending++;
  document.body.dataset.busy = '1';
  refreshButtons();
  queue = queue.then(async () => {
    ui.status.textContent = what;
    delete document.body.dataset.error;
    try {
      await fn();
      delete debug.error;
    } catch (e) {
      const message = (e as Error).message;
      debug.error = message;
      document.body.dataset.error = message;
      ui.status.replaceChildren(el('span', { class: 'error' }, message));
      console.error(e);
    } finally {
      debug.runs++;
      document.body.dataset.runs = String(debug.runs);
      if (--pending === 0) document.body.dataset.busy = '0';
      refreshButtons();
    }
  });
  return queue;
}

// ---- pictures and their features ----

const allPictures = () => classes.flatMap((c) => c.pictures);

function addPictures(cls: number, list: { rgba: Uint8ClampedArray; source: string; heldOut?: boolean }[]): void {
  for (const p of list) classes[cls].pictures.push({ id: nextId++, rgba: p.rgba, source: p.source, heldOut: p.heldOut ?? false, features: null });
  invalidate();
  render();
  void work(`running the base on ${list.length} new picture(s)…`, computeFeatures);
}

/** Pictures added since the model was trained make it stale: train again. */
function invalidate(): void {
  for (const p of allPictures()) delete p.verdict;
  trained?.model.dispose();
  trained = null;
  predictor.setModel(null, []);
}

async function computeFeatures(): Promise<void> {
  if (!engine || !base) throw new Error('The base is not loaded, so there are no features to compute.');
  const todo = allPictures().filter((p) => !p.features);
  // In small groups, so that the pictures fill in as the base gets through them.
  for (let i = 0; i < todo.length; i += 4) {
    const group = todo.slice(i, i + 4);
    const pixels = new Float32Array(group.length * group[0].rgba.length * 0.75);
    group.forEach((p, j) => toInput(p.rgba, pixels, j * (p.rgba.length / 4) * 3));
    const t0 = performance.now();
    const features = await poolFeatures(engine, base, pixels);
    debug.featureMsPerPicture = (performance.now() - t0) / group.length;
    group.forEach((p, j) => (p.features = features[j]));
    ui.status.textContent = `features of ${Math.min(i + 4, todo.length)} of ${todo.length} new pictures (${debug.featureMsPerPicture.toFixed(0)} ms each)`;
    render();
  }
  ui.status.textContent = `ready: ${allPictures().length} pictures with features`;
}

// ---- drawing ----

function render(): void {
  const range = featureRange(classes, predictor.features());
  debug.featureMax = range.max;
  ui.legend.style.background = cssGradient('viridis');
  ui.legendRange.textContent = `0 … ${formatValue(range.max)}`;
  renderClasses(ui.classes, classes, range, events);
  renderMeans(range);
  predictor.redraw(range);
  debug.classes = classes.map((c) => ({
    name: c.name,
    pictures: c.pictures.length,
    training: c.pictures.filter((p) => !p.heldOut).length,
    heldOut: c.pictures.filter((p) => p.heldOut).length,
    withFeatures: c.pictures.filter((p) => p.features).length,
  }));
  refreshButtons();
}

function renderMeans(range: { min: number; max: number }): void {
  const means = classes.map((c) => c.pictures.filter((p) => p.features).map((p) => p.features!)).map((fs) => (fs.length ? meanFeatures(fs) : null));
  const figures = means.flatMap((m, i) => {
    if (!m) return [];
    const f = el('figure', { class: 'class-mean' });
    f.append(featureCanvas(m, range, 200), el('figcaption', {}, `mean features of "${classes[i].name}"`));
    return [f];
  });
  if (means[0] && means[1]) {
    const f = el('figure', { class: 'class-difference' });
    f.append(differenceCanvas(means[0], means[1], 200), el('figcaption', {}, `"${classes[1].name}" − "${classes[0].name}": red where the second is larger, blue where the first is`));
    figures.push(f);
    debug.separation = separation(means[0], means[1]);
  } else {
    delete debug.separation;
  }
  ui.means.replaceChildren(...figures);
}

function separation(a: Float32Array, b: Float32Array): { between: number; within: number } {
  const dist = (u: Float32Array, v: Float32Array) => Math.sqrt(u.reduce((s, x, i) => s + (x - v[i]) ** 2, 0));
  const own = classes.slice(0, 2).flatMap((c, i) => c.pictures.filter((p) => p.features).map((p) => dist(p.features!, i === 0 ? a : b)));
  return { between: dist(a, b), within: own.reduce((s, d) => s + d, 0) / Math.max(1, own.length) };
}

function refreshButtons(): void {
  const ready = !!base && pending === 0;
  const filled = classes.filter((c) => c.pictures.some((p) => !p.heldOut)).length;
  ui.train.disabled = !ready || filled < classes.length || classes.length < MIN_CLASSES;
  ui.train.title = ui.train.disabled ? 'Each class needs at least one training picture (and the base must be loaded).' : '';
  ui.builtin.disabled = ui.addClass.disabled = ui.clear.disabled = !base || pending > 0;
  ui.save.disabled = !trained || pending > 0;
  predictor.enable(!!trained && pending === 0);
}

// ---- the class cards' events ----

const events: ClassEvents = {
  files: (cls, files) =>
    void work(`reading ${files.length} picture(s)…`, async () => {
      const read = await Promise.all(files.map(async (f) => ({ rgba: await fileToRgba(f), source: f.name })));
      addPictures(cls, read);
    }),
  camera: (cls) =>
    void work('opening the camera…', async () => {
      camera?.close();
      camera = await openCamera(classes[cls].name, (rgba) => addPictures(cls, [{ rgba, source: 'camera' }]));
    }),
  rename: (cls, name) => {
    classes[cls].name = name.trim() || `class ${cls + 1}`;
    render();
  },
  removeClass: (cls) => {
    // An open camera adds to a class by its index, which this shifts.
    camera?.close();
    classes.splice(cls, 1);
    invalidate();
    render();
  },
  removePicture: (cls, id) => {
    classes[cls].pictures = classes[cls].pictures.filter((p) => p.id !== id);
    invalidate();
    render();
  },
  toggleHeldOut: (cls, id) => {
    const p = classes[cls].pictures.find((q: Picture) => q.id === id);
    if (p) p.heldOut = !p.heldOut;
    invalidate();
    render();
  },
};

const predictor = new Predictor({
  work,
  getEngine: () => engine,
  getBase: () => base,
  className: (i) => classes[i]?.name ?? `class ${i + 1}`,
  rendered: (d) => {
    debug.prediction = d;
    render();
  },
});

ui.builtin.addEventListener('click', () => {
  camera?.close();
  invalidate();
  const set = builtinSet();
  classes = KINDS.map((kind: Kind) => ({ name: kind, pictures: [] }));
  KINDS.forEach((kind, i) => addPictures(i, set.filter((e) => e.kind === kind).map((e) => ({ rgba: e.rgba, source: `built-in ${kind} ${e.seed}`, heldOut: e.heldOut }))));
});
ui.addClass.addEventListener('click', () => {
  classes.push({ name: `class ${String.fromCharCode(65 + classes.length)}`, pictures: [] });
  invalidate();
  render();
});
ui.clear.addEventListener('click', () => {
  for (const c of classes) c.pictures = [];
  invalidate();
  render();
});
ui.train.addEventListener('click', () =>
  void work('training…', async () => {
    invalidate();
    setPhase('training');
    const result = await runTraining(engine!, base!, classes, (d) => (debug.training = d)).catch((e) => {
      setPhase('ready');
      throw e;
    });
    trained = result.trained;
    predictor.setModel(trained, classes.map((c) => c.name));
    for (const p of allPictures()) p.verdict = result.verdicts.get(p.id);
    render();
    setPhase('trained');
    ui.status.textContent = result.summary;
  }),
);
ui.save.addEventListener('click', () =>
  void work('saving the trained model…', async () => {
    const saved = await trained!.model.save('downloads://condense-transfer');
    debug.save.files = saved.files;
    ui.saveNote.textContent = `downloaded ${saved.files.join(' and ')} (TF.js Layers format: tf.loadLayersModel and Condense's loadLayersModel read it)`;
  }),
);
// A picture dropped anywhere but on a class card is a picture to predict.
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  const file = Array.from(e.dataTransfer?.files ?? []).find((f) => !f.type || f.type.startsWith('image/'));
  if (file) predictor.predictFile(file);
});

// ---- start ----

void work('loading the pretrained base…', async () => {
  render();
  const backend = await acquireBackend();
  if (backend.kind === 'cpu') {
    showNoWebGpuBanner(backend.reason);
    setPhase('no-gpu');
    throw new Error('Training runs on the GPU: without WebGPU this page cannot train (the other pages fall back to the CPU reference; fitting a head there would take minutes per epoch).');
  }
  engine = backend.engine;
  debug.backend = 'gpu';
  debug.adapter = backend.adapterName;
  try {
    const loaded = await loadBase(engine);
    base = loaded.base;
    debug.base = loaded.info;
  } catch (e) {
    setPhase('no-base');
    if (e instanceof BaseMissingError) ui.baseInfo.replaceChildren(el('span', { class: 'error' }, e.message));
    throw e;
  }
  debug.save.available = true;
  const i = debug.base!;
  ui.baseInfo.textContent = `Loaded in ${(i.loadMs / 1000).toFixed(1)} s on ${debug.adapter}: cut at "${i.cutAt}", output [${i.outputShape.join(', ')}] per picture, ${i.steps} steps (BatchNormalization folded, ReLU6 fused), ${i.params.toLocaleString('en')} parameters.`;
  setPhase('ready');
  ui.status.textContent = 'ready: fill the classes, or take the built-in example set';
});

window.addEventListener('pagehide', () => camera?.close());
