// The committed digit classifier (models/digits/, trained by `npm run train:digits`): Condense on the
// GPU against tfjs on the held-out test split, and its accuracy.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModel, type Sequential } from '../src/index.js';
import { gpuEngine } from './helpers/gpu.js';
import { digitsFiles, DIGITS_DIR, heldOutDigits, tf, tfCpu, tfLoad } from './helpers/tfjs-models.js';

const CHUNK = 500;

describe('the committed digit model on its held-out split', { timeout: 300_000 }, () => {
  beforeAll(() => tfCpu());

  it('matches tfjs (argmax 100%, probabilities within 1e-4) and is at least 97% accurate', async () => {
    const engine = await gpuEngine();
    const { images, labels, count, split } = heldOutDigits();
    expect(count).toBe(split.testCount);
    expect(count).toBeGreaterThanOrEqual(1900); // 20% of the package's 10,000 digits, stratified
    const model = (await loadLayersModel(`${DIGITS_DIR}model.json`, { engine })) as Sequential; // a plain stack of core layers
    const oracle = await tfLoad(digitsFiles());

    let agree = 0;
    let correct = 0;
    let tfCorrect = 0;
    let maxDiff = 0;
    const argmax = (p: Float32Array, i: number) => {
      let best = 0;
      for (let k = 1; k < 10; k++) if (p[i * 10 + k] > p[i * 10 + best]) best = k;
      return best;
    };
    const t0 = performance.now();
    let condenseMs = 0;
    for (let start = 0; start < count; start += CHUNK) {
      const n = Math.min(CHUNK, count - start);
      const data = images.subarray(start * 784, (start + n) * 784);
      const c0 = performance.now();
      const x = engine.tensor(data, [n, 28, 28, 1]);
      const y = model.predict(x);
      const ours = await y.read();
      condenseMs += performance.now() - c0;
      x.dispose();
      y.dispose();
      const theirs = tf.tidy(() => (oracle.predict(tf.tensor4d(data, [n, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
      for (let i = 0; i < n; i++) {
        const a = argmax(ours, i);
        const b = argmax(theirs, i);
        if (a === b) agree++;
        if (a === labels[start + i]) correct++;
        if (b === labels[start + i]) tfCorrect++;
        for (let k = 0; k < 10; k++) maxDiff = Math.max(maxDiff, Math.abs(ours[i * 10 + k] - theirs[i * 10 + k]));
      }
    }
    const report = {
      heldOut: count,
      train: split.trainCount,
      condenseAccuracy: correct / count,
      tfjsAccuracy: tfCorrect / count,
      argmaxAgreement: agree / count,
      maxProbabilityDiff: maxDiff,
      condenseMs: Math.round(condenseMs),
      totalMs: Math.round(performance.now() - t0),
    };
    console.log(`digits held-out: ${JSON.stringify(report)}`);
    expect(agree).toBe(count);
    expect(maxDiff).toBeLessThan(1e-4);
    expect(correct / count).toBeGreaterThanOrEqual(0.97);
    expect(correct).toBe(tfCorrect);
    model.dispose();
  });
});
