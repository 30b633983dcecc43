// The losses and the accuracy metric (engine.grad.binaryCrossentropy, categoricalCrossentropy,
// sparseCategoricalCrossentropy, meanSquaredError, accuracy) and reference.grad's: hand-worked
// golden cases (clipping and the limits at infinite logits included); the GPU against the
// reference over seeded grids (up to 40,000 terms, so the mean takes several passes; a forced
// split); NaN, infinities and invalid labels; the reference against float64 central differences
// of a float64 forward and against tfjs-core (tf.losses.sigmoidCrossEntropy, softmaxCrossEntropy,
// meanSquaredError, and Keras's formulas composed in tf ops) under tf.valueAndGrads; bad arguments.
import { beforeAll, describe, expect, it } from 'vitest';
import { CondenseArgumentError, createEngine, reference, type Engine, type HostTensor } from '../src/index.js';
import { EPS_F32, ONE_MINUS_EPS_F32 } from '../src/ops/backward/loss.js';
import { expectClose, randomData, rng } from './helpers/compare.js';
import { gpuEngine, withValidation } from './helpers/gpu.js';
import { centralDifferences, host, int, onGpu, sizeOf, Stats, tf, tfCpu, tfData, tfTensor, within } from './helpers/grad-dense.js';

const R = reference.grad;
type LossName = 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';
interface LossCase {
  name: LossName;
  fromLogits: boolean;
}
const CASES: LossCase[] = [
  { name: 'binaryCrossentropy', fromLogits: false },
  { name: 'binaryCrossentropy', fromLogits: true },
  { name: 'categoricalCrossentropy', fromLogits: false },
  { name: 'categoricalCrossentropy', fromLogits: true },
  { name: 'sparseCategoricalCrossentropy', fromLogits: false },
  { name: 'sparseCategoricalCrossentropy', fromLogits: true },
  { name: 'meanSquaredError', fromLogits: false },
];
const label = (c: LossCase) => `${c.name}${c.fromLogits ? ' (logits)' : ''}`;

/**
 * GPU against the float64 reference: WGSL's log and exp (2^-21 absolute near 1, a few ULP
 * elsewhere) and f32 sums of up to 40,000 terms in blocks: 2e-6 absolute plus 2e-5 relative on
 * dPred and on the mean.
 */
const TOL = { atol: 2e-6, rtol: 2e-5 };

function gpuLoss(engine: Engine, c: LossCase, t: HostTensor, p: HostTensor): Promise<Record<string, HostTensor>> {
  return onGpu(engine, [t, p], (a, b) => {
    const options = { fromLogits: c.fromLogits };
    if (c.name === 'meanSquaredError') return { ...engine.grad.meanSquaredError(a, b) };
    if (c.name === 'sparseCategoricalCrossentropy') return { ...engine.grad.sparseCategoricalCrossentropy(a, b, options) };
    return { ...engine.grad[c.name](a, b, options) };
  });
}

function refLoss(c: LossCase, t: HostTensor, p: HostTensor) {
  if (c.name === 'meanSquaredError') return R.meanSquaredError(t, p);
  return R[c.name](t, p, { fromLogits: c.fromLogits });
}

/** yTrue (labels for the sparse loss) and yPred: probabilities in [lo, hi] (or logits in [-6, 6]) over `classes`. */
function lossData(c: LossCase, random: () => number, rows: number[], classes: number, lo = 0.01, hi = 0.99) {
  const shape = [...rows, classes];
  const n = sizeOf(shape);
  const p = host(c.fromLogits ? randomData(n, random, -6, 6) : c.name === 'meanSquaredError' ? randomData(n, random, -3, 3) : randomData(n, random, lo, hi), shape);
  if (c.name === 'sparseCategoricalCrossentropy') return { t: host(Array.from({ length: sizeOf(rows) }, () => int(random, 0, classes - 1)), rows.length ? rows : [1]), p };
  if (c.name === 'categoricalCrossentropy') {
    // One-hot rows, and some soft rows (label smoothing) that still sum to 1.
    const t = new Float32Array(n);
    for (let r = 0; r < n / classes; r++) {
      const [hot, soft] = [int(random, 0, classes - 1), random() < 0.3];
      for (let k = 0; k < classes; k++) t[r * classes + k] = soft ? (k === hot ? 0.9 : 0.1 / (classes - 1)) : k === hot ? 1 : 0;
    }
    return { t: host(t, shape), p };
  }
  return { t: host(c.name === 'meanSquaredError' ? randomData(n, random, -3, 3) : Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0)), shape), p };
}

beforeAll(tfCpu);

describe('hand-worked golden cases, reference and GPU', () => {
  it('each loss: the mean, dPred, the clip and the limits at infinite logits', async () => {
    const engine = await gpuEngine();
    const lnSig = (z: number) => Math.log1p(Math.exp(-z)); // -log(sigmoid(z))
    const cases: [LossCase, HostTensor, HostTensor, number, number[]][] = [
      // -log 0.8 = 0.22314355, -log 0.6 = 0.51082562, mean 0.36698459; dPred = (q - t) / (q (1 - q)) / 2: -0.2 / 0.16 / 2, 0.4 / 0.24 / 2.
      [CASES[0], host([1, 0], [1, 2]), host([0.8, 0.4], [1, 2]), (-Math.log(0.8) - Math.log(0.6)) / 2, [-0.625, 0.8333333333]],
      // p = 0 and 1 are clipped to eps and 1 - eps (f32): terms -log(1 - eps) and -log(1 - eps32), both ~1e-7; outside the clip, dPred 0.
      [CASES[0], host([0, 1], [2, 1]), host([0, 1], [2, 1]), (-Math.log(1 - EPS_F32) - Math.log(ONE_MINUS_EPS_F32)) / 2, [0, 0]],
      // z = 0, t = 1: log 2; z = 2, t = 0: 2 + log(1 + e^-2) = 2.12692801; dPred = (sigmoid(z) - t) / 2 = [-0.25, 0.88079708 / 2].
      [CASES[1], host([1, 0]), host([0, 2]), (Math.LN2 + 2 + lnSig(2)) / 2, [-0.25, 0.4403985389]],
      // Infinite logits take the limits: +Inf with t = 1 and -Inf with t = 0 cost 0; +Inf with t = 0.5 costs +Inf.
      [CASES[1], host([1, 0]), host([Infinity, -Infinity]), 0, [0, 0]],
      [CASES[1], host([0.5]), host([Infinity]), Infinity, [0.5]],
      // p = [0.2, 0.6, 0.2], t = class 1: -log 0.6; g = [0, -1/0.6, 0], sum g p = -1: dPred = g + 1 = [1, -2/3, 1].
      [CASES[2], host([0, 1, 0], [1, 3]), host([0.2, 0.6, 0.2], [1, 3]), -Math.log(0.6), [1, -2 / 3, 1]],
      // Unnormalized [1, 3, 1] (sum 5): the same probabilities, dPred divided by 5.
      [CASES[2], host([0, 1, 0], [1, 3]), host([1, 3, 1], [1, 3]), -Math.log(0.6), [0.2, -2 / 15, 0.2]],
      // Logits [0, ln 2, 0]: softmax [0.25, 0.5, 0.25]; -log 0.5; dPred = softmax - t.
      [CASES[3], host([0, 1, 0], [1, 3]), host([0, Math.LN2, 0], [1, 3]), Math.LN2, [0.25, -0.5, 0.25]],
      [CASES[4], host([1], [1]), host([0.2, 0.6, 0.2], [1, 3]), -Math.log(0.6), [1, -2 / 3, 1]],
      // Two rows: classes 1 and 0 of [0, ln 2, 0] and [ln 3, 0, 0] (softmax [0.6, 0.2, 0.2]): (ln 2 - ln 0.6) / 2; dPred / 2.
      [CASES[5], host([1, 0], [2]), host([0, Math.LN2, 0, Math.log(3), 0, 0], [2, 3]), (Math.LN2 - Math.log(0.6)) / 2, [0.125, -0.25, 0.125, -0.2, 0.1, 0.1]],
      // (1.5 - 1)^2 and (1 - 2)^2: mean 0.625; dPred = 2 (p - t) / 2.
      [CASES[6], host([1, 2]), host([1.5, 1]), 0.625, [0.5, -1]],
    ];
    for (const [c, t, p, loss, dPred] of cases) {
      const tol = { atol: 1e-7, rtol: 1e-6 };
      const ref = refLoss(c, t, p);
      const gpu = await gpuLoss(engine, c, t, p);
      for (const [who, got] of [['reference', ref], ['GPU', gpu]] as const) {
        expectClose(got.loss.data, [loss], tol, `${who} ${label(c)} loss`);
        expectClose(got.dPred.data, dPred, tol, `${who} ${label(c)} dPred`);
        expect(got.loss.shape).toEqual([1]);
      }
    }
  });

  it('accuracy: binary (threshold 0.5, strictly above), categorical (ties to the first class), sparse', async () => {
    const engine = await gpuEngine();
    const acc = async (t: HostTensor, p: HostTensor, kind: 'binary' | 'categorical' | 'sparse') => {
      const want = R.accuracy(t, p, kind).data[0];
      expect((await onGpu(engine, [t, p], (a, b) => engine.grad.accuracy(a, b, kind))).out.data[0]).toBe(want);
      return want;
    };
    // 0.6 -> 1 (hit), 0.5 -> 0 (hit: not above the threshold), 0.4 -> 0 against 1 (miss), 0.1 -> 0 (hit): 3 / 4.
    expect(await acc(host([1, 0, 1, 0]), host([0.6, 0.5, 0.4, 0.1]), 'binary')).toBe(0.75);
    // Row 0: argmax 1 both; row 1: p = [0.5, 0.5] ties to class 0, the label's: 2 / 2.
    expect(await acc(host([0, 1, 1, 0], [2, 2]), host([0.3, 0.7, 0.5, 0.5], [2, 2]), 'categorical')).toBe(1);
    expect(await acc(host([1, 1]), host([0.3, 0.7, 0.5, 0.5], [2, 2]), 'sparse')).toBe(0.5);
    // Host labels go to the GPU as given.
    const p = engine.tensor(Float32Array.from([0.3, 0.7, 0.9, 0.1]), [2, 2]);
    expect((await engine.grad.accuracy(Float32Array.from([1, 0]), p, 'sparse').read())[0]).toBe(1);
    p.dispose();
  });
});

describe('GPU vs reference, seeded grids', () => {
  it('every loss and accuracy over 70 shapes of rank 1 to 3, up to 40,000 terms', async () => {
    const engine = await gpuEngine();
    const random = rng(8101);
    await withValidation(engine, async () => {
      for (let i = 0; i < 70; i++) {
        const c = CASES[i % CASES.length];
        const rows = i % 10 === 0 ? [int(random, 2000, 10000)] : Array.from({ length: int(random, 0, 2) }, () => int(random, 1, 9));
        const classes = c.name === 'binaryCrossentropy' || c.name === 'meanSquaredError' ? int(random, 1, 4) : int(random, 2, 12);
        // Some probabilities outside the clip ([0, 1] with a few beyond): the gradient's zeros.
        const { t, p } = lossData(c, random, rows, classes, i % 3 === 0 ? -1e-8 : 0.01, i % 3 === 0 ? 1 : 0.99);
        const want = refLoss(c, t, p);
        const got = await gpuLoss(engine, c, t, p);
        expect(got.dPred.shape).toEqual(p.shape);
        expectClose(got.loss.data, want.loss.data, TOL, `${label(c)} loss [${p.shape}]`);
        expectClose(got.dPred.data, want.dPred.data, TOL, `${label(c)} dPred [${p.shape}]`);
        const kind = c.name === 'sparseCategoricalCrossentropy' ? 'sparse' : c.name === 'categoricalCrossentropy' ? 'categorical' : 'binary';
        const a = await onGpu(engine, [t, p], (x, y) => engine.grad.accuracy(x, y, kind));
        expectClose(a.out.data, R.accuracy(t, p, kind).data, { atol: 1e-6, rtol: 1e-6 }, `${kind} accuracy [${p.shape}]`);
      }
    });
  });

  it('splits into binding-sized chunks under a 4 KiB binding limit', async () => {
    const small = await createEngine({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const random = rng(8202);
      const before = small.stats().dispatches;
      await withValidation(small, async () => {
        for (const c of CASES) {
          const { t, p } = lossData(c, random, [300], c.name.startsWith('binary') || c.name === 'meanSquaredError' ? 5 : 10);
          const [want, got] = [refLoss(c, t, p), await gpuLoss(small, c, t, p)];
          expectClose(got.loss.data, want.loss.data, TOL, `split ${label(c)} loss`);
          expectClose(got.dPred.data, want.dPred.data, TOL, `split ${label(c)} dPred`);
        }
      });
      expect(small.stats().dispatches - before).toBeGreaterThan(30); // really split
    } finally {
      small.destroy();
    }
  });
});

describe('NaN, infinities and invalid labels', () => {
  it('NaN in yTrue or yPred and infinite yPred poison what they touch, as in the reference', async () => {
    const engine = await gpuEngine();
    const random = rng(8303);
    const specials = [NaN, Infinity, -Infinity, 0, 1, -0, 3.4e38, -3.4e38, 1e-30];
    for (const c of CASES) {
      const { t, p } = lossData(c, random, [6], 4);
      for (let i = 0; i < 6; i++) p.data[i * 4 + (i % 4)] = specials[(i + CASES.indexOf(c)) % specials.length];
      if (c.name !== 'sparseCategoricalCrossentropy') t.data[21] = NaN;
      const [want, got] = [refLoss(c, t, p), await gpuLoss(engine, c, t, p)];
      expectClose(got.dPred.data, want.dPred.data, TOL, `${label(c)} dPred`);
      expectClose(got.loss.data, want.loss.data, TOL, `${label(c)} loss`);
      expect(want.dPred.data.some(Number.isNaN), label(c)).toBe(true);
    }
    // The softmax rule on logits: a -Inf logit has probability 0 (term 0 with label 0, +Inf with label 1); +Inf or NaN poisons the row.
    const want = R.categoricalCrossentropy(host([0, 1, 1, 0, 0, 1], [3, 2]), host([-Infinity, 0, -Infinity, 0, Infinity, 0], [3, 2]), { fromLogits: true });
    expectClose(want.dPred.data, [0, 0, -1 / 3, 1 / 3, NaN, NaN], { atol: 1e-7, rtol: 1e-6 });
    const got = await gpuLoss(engine, CASES[3], host([0, 1, 1, 0, 0, 1], [3, 2]), host([-Infinity, 0, -Infinity, 0, Infinity, 0], [3, 2]));
    expectClose(got.dPred.data, want.dPred.data, { atol: 1e-7, rtol: 1e-6 });
    expect(got.loss.data[0]).toBeNaN();
  });

  it('Tensor labels that are not class indices make their rows (and the loss) NaN; host labels are refused first', async () => {
    const engine = await gpuEngine();
    const p = host(randomData(5 * 3, rng(8404), 0.1, 0.9), [5, 3]);
    const labels = host([0, -1, 3, 1.5, NaN]); // only row 0 is valid
    for (const fromLogits of [false, true]) {
      const got = await onGpu(engine, [labels, p], (l, q) => ({ ...engine.grad.sparseCategoricalCrossentropy(l, q, { fromLogits }) }));
      const want = R.sparseCategoricalCrossentropy(labels, p, { fromLogits });
      expect(got.loss.data[0]).toBeNaN();
      expectClose(got.dPred.data, want.dPred.data, TOL);
      expect(Array.from(got.dPred.data.slice(3)).every(Number.isNaN)).toBe(true);
      expect(Array.from(got.dPred.data.slice(0, 3)).some(Number.isNaN)).toBe(false);
    }
    expect((await onGpu(engine, [labels, p], (l, q) => engine.grad.accuracy(l, q, 'sparse'))).out.data[0]).toBeNaN();
    const pt = engine.tensor(p.data, p.shape);
    const before = engine.stats();
    expect(() => engine.grad.sparseCategoricalCrossentropy(labels.data, pt)).toThrow(/sparseCategoricalCrossentropy: labels\[1\] is -1, not a class index \(an integer in \[0, 3\)\)/);
    expect(() => engine.grad.accuracy({ data: Float32Array.from([0, 1, 2, 3, 0]), shape: [5] }, pt, 'sparse')).toThrow(/accuracy: labels\[3\] is 3, not a class index/);
    expect(engine.stats().dispatches).toBe(before.dispatches);
    pt.dispose();
  });
});

// ---- the reference against central differences and tfjs ----

/** The float64 forward of each loss (Keras semantics, the default mean), from yTrue and yPred. */
function loss64(c: LossCase, t: ArrayLike<number>, p: ArrayLike<number>, classes: number): number {
  const clip = (q: number) => Math.min(Math.max(q, EPS_F32), ONE_MINUS_EPS_F32);
  const n = p.length;
  let s = 0;
  if (c.name === 'meanSquaredError') {
    for (let i = 0; i < n; i++) s += (p[i] - t[i]) ** 2;
    return s / n;
  }
  if (c.name === 'binaryCrossentropy') {
    for (let i = 0; i < n; i++) {
      s += c.fromLogits ? Math.max(p[i], 0) - p[i] * t[i] + Math.log1p(Math.exp(-Math.abs(p[i]))) : -(t[i] * Math.log(clip(p[i])) + (1 - t[i]) * Math.log(1 - clip(p[i])));
    }
    return s / n;
  }
  const rows = n / classes;
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: classes }, (_, k) => p[r * classes + k]);
    const truth = (k: number) => (c.name === 'sparseCategoricalCrossentropy' ? (t[r] === k ? 1 : 0) : t[r * classes + k]);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    const sum = row.reduce((a, v) => a + v, 0);
    for (let k = 0; k < classes; k++) s -= truth(k) * (c.fromLogits ? row[k] - lse : Math.log(clip(row[k] / sum)));
  }
  return s / rows;
}

/** The same loss in tf ops: tf.losses where they match Keras, Keras's formulas composed otherwise. */
function tfLoss(c: LossCase, t: tf.Tensor, p: tf.Tensor, classes: number): tf.Scalar {
  const clip = (q: tf.Tensor) => tf.clipByValue(q, EPS_F32, ONE_MINUS_EPS_F32);
  if (c.name === 'meanSquaredError') return tf.losses.meanSquaredError(t, p) as tf.Scalar;
  if (c.name === 'binaryCrossentropy') {
    if (c.fromLogits) return tf.losses.sigmoidCrossEntropy(t, p) as tf.Scalar;
    const q = clip(p);
    return tf.neg(tf.mean(tf.add(tf.mul(t, tf.log(q)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, q)))))) as tf.Scalar;
  }
  const onehot = c.name === 'sparseCategoricalCrossentropy' ? tf.cast(tf.oneHot(tf.cast(t, 'int32'), classes), 'float32') : t;
  if (c.fromLogits) return tf.losses.softmaxCrossEntropy(onehot, p) as tf.Scalar; // softmax - labels: the labels sum to 1 here
  return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.log(clip(tf.div(p, tf.sum(p, -1, true))))), -1))) as tf.Scalar;
}

describe('the reference against float64 central differences and tfjs', () => {
  it('every loss: the value and dPred', () => {
    const random = rng(8505);
    const [fd, tfv] = [new Stats(), new Stats()];
    for (let i = 0; i < 28; i++) {
      const c = CASES[i % CASES.length];
      const classes = int(random, 2, 6);
      // Probabilities in [0.2, 0.8]: inside the clip, and central differences' truncation h^2 |f'''| / 6 <= 1e-6 * 2 / 0.2^3 / 6 = 4e-5.
      const { t, p } = lossData(c, random, [int(random, 1, 5)], classes, 0.2, 0.8);
      const ref = refLoss(c, t, p);
      const value = loss64(c, t.data, p.data, classes);
      const grad = centralDifferences((v) => loss64(c, t.data, v, classes), p.data);
      fd.add(ref.loss.data, [value]).add(ref.dPred.data, grad);
      within(ref.loss.data, [value], 1e-7, 1e-6, `${label(c)} loss`); // rounded once to f32
      within(ref.dPred.data, grad, 1e-6, 1e-4, `${label(c)} dPred vs central differences`); // the truncation above, relative to |dPred| >= 1
      const [tl, tg] = tf.tidy(() => {
        const { value: v, grads } = tf.valueAndGrads((q: tf.Tensor) => tfLoss(c, tfTensor(t), q, classes))([tfTensor(p)]);
        return [tfData(v), tfData(grads[0])];
      });
      tfv.add(ref.loss.data, tl).add(ref.dPred.data, tg);
      within(ref.loss.data, tl, 1e-6, 1e-5, `${label(c)} loss vs tfjs`); // tfjs rounds each op to f32
      within(ref.dPred.data, tg, 1e-6, 1e-5, `${label(c)} dPred vs tfjs`);
    }
    console.log(`losses (${CASES.length} kinds: loss and dPred): reference vs float64 central differences: ${fd}; vs tf.valueAndGrads: ${tfv}`);
  });

  it('accuracy against the same metrics composed in tf ops', () => {
    const random = rng(8606);
    const stats = new Stats();
    for (let i = 0; i < 12; i++) {
      const [rows, classes] = [int(random, 1, 20), int(random, 2, 5)];
      const p = host(randomData(rows * classes, random).map((v) => Math.round(v * 4) / 4), [rows, classes]); // ties, and 0.5 exactly
      const t = host(Array.from({ length: rows * classes }, () => (random() < 0.5 ? 1 : 0)), [rows, classes]);
      const labels = host(Array.from({ length: rows }, () => int(random, 0, classes - 1)), [rows]);
      const tfAcc = tf.tidy(() => [
        tf.mean(tf.cast(tf.equal(tfTensor(t), tf.cast(tf.greater(tfTensor(p), 0.5), 'float32')), 'float32')),
        tf.mean(tf.cast(tf.equal(tf.argMax(tfTensor(t), -1), tf.argMax(tfTensor(p), -1)), 'float32')),
        tf.mean(tf.cast(tf.equal(tf.cast(tfTensor(labels), 'int32'), tf.argMax(tfTensor(p), -1)), 'float32')),
      ].map((x) => tfData(x)[0]));
      const ours = [R.accuracy(t, p, 'binary'), R.accuracy(t, p, 'categorical'), R.accuracy(labels, p, 'sparse')].map((a) => a.data[0]);
      stats.add(ours, tfAcc);
      expectClose(ours, tfAcc, { atol: 1e-6, rtol: 0 }, `accuracy #${i}`);
    }
    console.log(`accuracy (binary, categorical, sparse): reference vs tf ops: ${stats}`);
  });
});

describe('bad arguments throw CondenseArgumentError naming the op and the argument, before any GPU work', () => {
  it('rejects each, on the engine and in the reference', async () => {
    const engine = await gpuEngine();
    const t = (shape: number[]) => engine.tensor(new Float32Array(sizeOf(shape)), shape);
    const [a, b, labels] = [t([4, 3]), t([4, 2]), t([4])];
    const before = engine.stats();
    const cases: [() => unknown, RegExp][] = [
      [() => engine.grad.binaryCrossentropy(a, b), /binaryCrossentropy: yTrue \[4,3\] and yPred \[4,2\] must have the same shape/],
      [() => engine.grad.binaryCrossentropy(a, a, { fromLogits: 1 as never }), /binaryCrossentropy: fromLogits must be a boolean, got 1/],
      [() => engine.grad.categoricalCrossentropy(a, b), /categoricalCrossentropy: yTrue \[4,3\] and yPred \[4,2\] must have the same shape/],
      [() => engine.grad.categoricalCrossentropy(a, a, null as never), /categoricalCrossentropy: options must be an object/],
      [() => engine.grad.meanSquaredError('t' as never, a), /meanSquaredError: yTrue must be a Tensor/],
      [() => engine.grad.sparseCategoricalCrossentropy(t([3]), a), /sparseCategoricalCrossentropy: labels \[3\] must have shape \[4\] \(or \[4,1\]\)/],
      [() => engine.grad.sparseCategoricalCrossentropy([0, 1, 2, 0] as never, a), /sparseCategoricalCrossentropy: labels must be a Tensor, a Float32Array or \{ data, shape \}/],
      [() => engine.grad.sparseCategoricalCrossentropy(Float32Array.from([0, 1, 2, 0.5]), a), /labels\[3\] is 0.5, not a class index/],
      [() => engine.grad.sparseCategoricalCrossentropy({ data: new Float32Array(3), shape: [4] }, a), /labels.data has 3 elements but shape \[4\] needs 4/],
      [() => engine.grad.accuracy(a, a, 'top5' as never), /accuracy: kind must be 'binary', 'categorical' or 'sparse', got "top5"/],
      [() => engine.grad.accuracy(Float32Array.from([1]), a, 'binary'), /accuracy: yTrue must be a Tensor for 'binary' accuracy/],
      [() => engine.grad.accuracy(labels, b, 'categorical'), /accuracy: yTrue \[4\] and yPred \[4,2\] must have the same shape/],
    ];
    for (const [call, message] of cases) {
      expect(call).toThrow(CondenseArgumentError);
      expect(call).toThrow(message);
    }
    expect(engine.stats().dispatches).toBe(before.dispatches);
    expect(engine.stats().submits).toBe(before.submits);
    expect(engine.grad.sparseCategoricalCrossentropy(t([4, 1]), a).loss.shape).toEqual([1]); // [N, 1] labels, as Keras allows
    const h = host([1, 2, 3, 4], [2, 2]);
    expect(() => R.meanSquaredError(h, host([1, 2]))).toThrow(/meanSquaredError: yTrue \[2,2\] and yPred \[2\] must have the same shape/);
    expect(() => R.sparseCategoricalCrossentropy(h, h)).toThrow(/labels \[2,2\] must have shape \[2\]/);
  });
});
