// Where scripts/fetch-models.mjs leaves the third-party models of models/third-party/catalog.json,
// and how to read one back as tf.io.fromMemory() artifacts. Tests import this; it never fetches.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const catalogPath = path.join(root, 'models', 'third-party', 'catalog.json');
export const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
// Under node_modules so that git ignores it and `rm -rf node_modules` clears it.
export const modelsCacheDir = path.join(root, 'node_modules', '.cache', 'condense-models');

export function catalogEntry(id) {
  const entry = catalog.models.find((m) => m.id === id);
  if (!entry) throw new Error(`models-cache: no model '${id}' in ${catalogPath}`);
  return entry;
}

export const modelDir = (id) => path.join(modelsCacheDir, catalogEntry(id).id);
export const modelPath = (id) => path.join(modelDir(id), 'model.json');

// Cheap presence check (sizes only) so a test can skip with a hint instead of failing on ENOENT;
// fetch-models.mjs is the one that checks sha256.
export function isFetched(id) {
  const dir = modelDir(id);
  return Object.entries(catalogEntry(id).files).every(([name, { bytes }]) => {
    try {
      return fs.statSync(path.join(dir, name)).size === bytes;
    } catch {
      return false;
    }
  });
}

// { modelTopology, weightSpecs, weightData } with the shards concatenated in manifest order, which
// is the layout tf.io.fromMemory() (and tfjs's own http/file handlers) hand to the loader.
export function readModelArtifacts(id) {
  const dir = modelDir(id);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const weightSpecs = [];
  const shards = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return { modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format };
}

// The two non-Keras layers of upscalerjs-esrgan-legacy-gans-x4, with the semantics UpscalerJS
// gives them. Takes tf as an argument so this module stays free of a tfjs import.
export function registerCustomLayers(tf) {
  const first = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
  class MultiplyBeta extends tf.layers.Layer {
    static className = 'MultiplyBeta';
    constructor(config) {
      super(config);
      this.beta = config.beta ?? 0.2;
    }
    call(inputs) {
      return tf.mul(first(inputs), this.beta);
    }
    getConfig() {
      return { ...super.getConfig(), beta: this.beta };
    }
  }
  class PixelShuffle4x extends tf.layers.Layer {
    static className = 'PixelShuffle4x';
    constructor(config) {
      super(config);
      this.scale = config.scale ?? 4;
    }
    computeOutputShape([n, h, w, c]) {
      const s = this.scale;
      return [n, h == null ? null : h * s, w == null ? null : w * s, c / (s * s)];
    }
    call(inputs) {
      return tf.depthToSpace(first(inputs), this.scale, 'NHWC');
    }
    getConfig() {
      return { ...super.getConfig(), scale: this.scale };
    }
  }
  for (const cls of [MultiplyBeta, PixelShuffle4x]) tf.serialization.registerClass(cls);
}
