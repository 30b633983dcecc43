// The check every training.keras-layers test makes: a tfjs-layers model saved, loaded through
// loadLayersModel, its gradients walked on the GPU (keras-grad.ts) and compared with tf.grads of
// the same model in inference mode, for the inputs and every trainable weight.
import { expect } from 'vitest';
import { FunctionalModel, loadLayersModel, type Engine } from '../../src/index.js';
import { expectClose } from './compare.js';
import { adjointDx, problem, tfGrads, walk, weightChecks, type Problem } from './keras-grad.js';
import { saveToMemory, tf, type ModelFiles } from './tfjs-models.js';

// f32 GPU sums against tfjs's f32 CPU gradients: a few hundred products per value, values to ~20
// after three convolutions; the folded kernels divide by s (0.35 to 3.4). Measured: 4.8e-6 at
// most (on values to 17, MobileNetV2 blocks), 1e-6 or less elsewhere.
export const TOL = { atol: 1e-5, rtol: 1e-4 };

export type Sym = tf.SymbolicTensor;
export const L = tf.layers;
export const ap = (layer: tf.layers.Layer, x: Sym | Sym[]) => layer.apply(x) as Sym;

export async function load(engine: Engine, files: ModelFiles): Promise<FunctionalModel> {
  const f = await loadLayersModel({ modelJson: files.modelJson, weights: files.weights }, { engine });
  expect(f).toBeInstanceOf(FunctionalModel);
  return f as FunctionalModel;
}

/**
 * Loads `m` (or `files`, an edited save of it), walks its backward and compares the input
 * gradients and every trainable layer's weight gradients with tfjs's. Returns the model.
 */
export async function agree(engine: Engine, m: tf.LayersModel, inputShapes: number[][], seed: number, opts: { files?: ModelFiles; post?: (y: tf.Tensor) => tf.Tensor; tol?: typeof TOL; adjoint?: boolean } = {}): Promise<FunctionalModel> {
  const f = await load(engine, opts.files ?? (await saveToMemory(m)));
  const p: Problem = problem(m, inputShapes, seed, opts.post);
  const want = tfGrads(m, p, opts.post);
  if (opts.adjoint) want.dxs = [adjointDx(m, p)];
  const got = await walk(engine, f, p);
  const tol = opts.tol ?? TOL;
  const where = `${m.name} at ${JSON.stringify(inputShapes)}`;
  got.dxs.forEach((dx, i) => expectClose(dx, want.dxs[i], tol, `${where}: dL/d${f.inputs[i].name}`));
  const checks = weightChecks(m, got, want);
  for (const [expected, actual, label] of checks) expectClose(actual, expected, tol, `${where}: ${label}`);
  // The same from the inference forward (nothing saved: what the backward needs is recomputed).
  const frozen = await walk(engine, f, p, { inference: true });
  frozen.dxs.forEach((dx, i) => expectClose(dx, got.dxs[i], {}, `${where}: dL/d${f.inputs[i].name}, inference forward`));
  for (const [expected, actual, label] of weightChecks(m, frozen, want)) expectClose(actual, expected, tol, `${where}: ${label}, inference forward`);
  // Each trainable tfjs weight meets exactly one check (a layer's gradients silently skipped would pass).
  expect(checks.length, `${m.name}: weight checks`).toBe(m.trainableWeights.length);
  return f;
}
