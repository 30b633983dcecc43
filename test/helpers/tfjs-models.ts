// tfjs as the oracle for model loading: build Layers models with tfjs, save them to memory in the
// model.json + weight-shard form, and read the committed digit model and its held-out split.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export { tf };

export const DIGITS_DIR = fileURLToPath(new URL('../../models/digits/', import.meta.url));

let backendReady: Promise<boolean> | undefined;
export function tfCpu(): Promise<boolean> {
  backendReady ??= tf.setBackend('cpu');
  return backendReady;
}

export interface ModelFiles {
  /** model.json as written to disk. */
  modelJson: Record<string, any>;
  /** Shard path -> bytes. */
  weights: Record<string, ArrayBuffer>;
}

/** Saves a tfjs model the way model.save() writes model.json and one weight shard. */
export async function saveToMemory(model: tf.LayersModel, shard = 'weights.bin'): Promise<ModelFiles> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const data = saved!.weightData!;
  const bytes = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return {
    modelJson: { format: 'layers-model', generatedBy: saved!.generatedBy, convertedBy: null, modelTopology: saved!.modelTopology, weightsManifest: [{ paths: [shard], weights: saved!.weightSpecs }] },
    weights: { [shard]: bytes },
  };
}

/** The committed model's files, read from disk. */
export function digitsFiles(): ModelFiles {
  const modelJson = JSON.parse(readFileSync(`${DIGITS_DIR}model.json`, 'utf8'));
  const weights: Record<string, ArrayBuffer> = {};
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      const b = readFileSync(`${DIGITS_DIR}${path}`);
      weights[path] = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    }
  }
  return { modelJson, weights };
}

/** Loads model files into tfjs itself (the oracle). */
export function tfLoad(files: ModelFiles): Promise<tf.LayersModel> {
  const group = files.modelJson.weightsManifest[0];
  const weightData = tf.io.concatenateArrayBuffers(group.paths.map((p: string) => files.weights[p]));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: files.modelJson.modelTopology, weightSpecs: group.weights, weightData }));
}

export interface HeldOut {
  images: Float32Array;
  labels: Int32Array;
  count: number;
  split: Record<string, any>;
}

/** The held-out test split the training script recorded in split.json, rebuilt from the `mnist` package. */
export function heldOutDigits(): HeldOut {
  const split = JSON.parse(readFileSync(`${DIGITS_DIR}split.json`, 'utf8'));
  const mnist = createRequire(import.meta.url)('mnist') as { raw: number[] }[];
  const pairs: [number, number][] = [];
  for (let d = 0; d < 10; d++) for (const i of split.testIndices[d]) pairs.push([d, i]);
  const images = new Float32Array(pairs.length * 784);
  const labels = new Int32Array(pairs.length);
  pairs.forEach(([d, i], k) => {
    images.set(mnist[d].raw.slice(i * 784, (i + 1) * 784), k * 784);
    labels[k] = d;
  });
  return { images, labels, count: pairs.length, split };
}
