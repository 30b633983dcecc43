// The training section: the settings read and checked, fit run with its callbacks driving the
// progress bar and the live chart, then the held-out pictures predicted by the trained model and
// marked right or wrong on their cards.
import type { Engine, FunctionalModel } from '../../src/index.js';
import { el } from '../shared/draw.js';
import { TrainingChart } from './chart.js';
import type { ClassData } from './classes.js';
import { predictProbabilities, train, type TrainSettings, type Trained } from './train.js';

export interface TrainingDebug {
  form: 'lesson';
  settings: TrainSettings;
  classes: number;
  trainPictures: number;
  heldOutPictures: number;
  /** Batches done, of `totalSteps`. */
  steps: number;
  totalSteps: number;
  epochsDone: number;
  history: { loss: number[]; accuracy: number[]; val_loss: number[]; val_accuracy: number[] };
  /** The layers fit ran once per picture rather than every epoch (the frozen base). */
  cachedLayers?: string[];
  ms?: number;
  heldOut?: { correct: number; total: number; accuracy: number; pictures: { id: number; label: number; predicted: number; probability: number }[] };
  /** Points on each line of the chart. */
  chartPoints: number[];
  done: boolean;
}

let chart: TrainingChart | null = null;

function readSettings(): TrainSettings {
  const num = (id: string) => Number((document.getElementById(id) as HTMLInputElement).value);
  const epochs = num('epochs');
  const batchSize = num('batch-size');
  const learningRate = num('learning-rate');
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 200) throw new Error(`Epochs must be a whole number from 1 to 200, got "${(document.getElementById('epochs') as HTMLInputElement).value}".`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('Batch size must be a whole number of at least 1.');
  if (!Number.isFinite(learningRate) || learningRate <= 0) throw new Error('The learning rate must be a positive number.');
  return { epochs, batchSize, learningRate, seed: 1 };
}

export async function runTraining(
  engine: Engine,
  base: FunctionalModel,
  classes: readonly ClassData[],
  publish: (d: TrainingDebug) => void,
): Promise<{ trained: Trained; summary: string; verdicts: Map<number, boolean> }> {
  const settings = readSettings();
  const progress = document.getElementById('progress') as HTMLProgressElement;
  const progressText = document.getElementById('progress-text')!;
  const result = document.getElementById('train-result')!;
  chart ??= new TrainingChart(document.getElementById('chart') as HTMLCanvasElement);
  chart.reset();
  const split = (held: boolean) => {
    const ps = classes.flatMap((c, label) => c.pictures.filter((p) => p.heldOut === held).map((p) => ({ p, label })));
    return { pictures: ps.map((x) => x.p.rgba), labels: ps.map((x) => x.label), ids: ps.map((x) => x.p.id) };
  };
  const trainSet = split(false);
  const heldOut = split(true);
  const d: TrainingDebug = {
    form: 'lesson',
    settings,
    classes: classes.length,
    trainPictures: trainSet.pictures.length,
    heldOutPictures: heldOut.pictures.length,
    steps: 0,
    totalSteps: settings.epochs * Math.ceil(trainSet.pictures.length / settings.batchSize),
    epochsDone: 0,
    history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] },
    chartPoints: chart.counts(),
    done: false,
  };
  publish(d);
  progress.max = d.totalSteps;
  progress.value = 0;
  progressText.textContent = `fit first runs the frozen base once over the ${trainSet.pictures.length + heldOut.pictures.length} pictures…`;
  result.replaceChildren();
  const trained = await train(engine, base, classes.length, trainSet, heldOut, settings, {
    batch(step, total, loss, accuracy) {
      d.steps = step;
      progress.value = step;
      progressText.textContent = `batch ${step} of ${total}: loss ${loss.toFixed(4)}${accuracy === undefined ? '' : `, accuracy ${(100 * accuracy).toFixed(0)}%`}`;
      chart!.batch(step, loss, accuracy);
      d.chartPoints = chart!.counts();
    },
    epoch(epoch, step, logs) {
      d.epochsDone = epoch + 1;
      d.history.loss.push(logs.loss);
      if (logs.accuracy !== undefined) d.history.accuracy.push(logs.accuracy);
      if (logs.val_loss !== undefined) d.history.val_loss.push(logs.val_loss);
      if (logs.val_accuracy !== undefined) d.history.val_accuracy.push(logs.val_accuracy);
      chart!.epoch(step, logs.val_loss, logs.val_accuracy);
      d.chartPoints = chart!.counts();
    },
  });
  d.cachedLayers = trained.history.cachedLayers;
  d.ms = trained.ms;
  const lastAcc = trained.history.history.accuracy?.at(-1);
  let summary = `trained ${settings.epochs} epochs in ${(trained.ms / 1000).toFixed(1)} s: training loss ${trained.history.history.loss.at(-1)!.toFixed(4)}${lastAcc === undefined ? '' : `, training accuracy ${(100 * lastAcc).toFixed(0)}%`}`;
  const verdicts = new Map<number, boolean>();
  if (heldOut.pictures.length) {
    const probs = await predictProbabilities(engine, trained, heldOut.pictures);
    const pictures = probs.map((p, i) => {
      const predicted = p.indexOf(Math.max(...p));
      return { id: heldOut.ids[i], label: heldOut.labels[i], predicted, probability: p[predicted] };
    });
    const correct = pictures.filter((p) => p.predicted === p.label).length;
    d.heldOut = { correct, total: pictures.length, accuracy: correct / pictures.length, pictures };
    for (const p of pictures) verdicts.set(p.id, p.predicted === p.label);
    summary += `; held out: ${correct} of ${pictures.length} right (${((100 * correct) / pictures.length).toFixed(0)}%)`;
  }
  progressText.textContent = `done: ${d.steps} batches`;
  result.replaceChildren(el('p', { class: 'result' }, summary + '.'));
  const cached = d.cachedLayers ?? [];
  if (cached.length) {
    const named = cached.length > 3 ? `${cached.length} layers (${cached[0]} … ${cached.at(-1)})` : cached.join(', ');
    result.append(el('p', { class: 'status', id: 'cached-note' }, `fit ran ${named} once per picture — frozen, so their output never changes — and trained the head on what they gave.`));
  }
  d.done = true;
  publish(d);
  return { trained, summary, verdicts };
}
