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

// ---- ONNX models: models/third-party/onnx-catalog.json, fetched by scripts/fetch-onnx-models.mjs
// into the same cache, one node_modules/.cache/condense-models/<id>/model.onnx each.

export const onnxCatalogPath = path.join(root, 'models', 'third-party', 'onnx-catalog.json');
export const onnxCatalog = JSON.parse(fs.readFileSync(onnxCatalogPath, 'utf8'));

export function onnxCatalogEntry(id) {
  const entry = onnxCatalog.models.find((m) => m.id === id);
  if (!entry) throw new Error(`models-cache: no ONNX model '${id}' in ${onnxCatalogPath}`);
  return entry;
}

export const onnxModelPath = (id) => path.join(modelsCacheDir, onnxCatalogEntry(id).id, 'model.onnx');

// Size check only, like isFetched(); fetch-onnx-models.mjs is the one that checks sha256.
export function isOnnxFetched(id) {
  const entry = onnxCatalogEntry(id);
  try {
    return entry.file !== undefined && fs.statSync(onnxModelPath(id)).size === entry.file.bytes;
  } catch {
    return false;
  }
}

export function readOnnxModel(id) {
  return new Uint8Array(fs.readFileSync(onnxModelPath(id)));
}

// JSON with short arrays and objects kept on one line, so that a catalog reads as a table (the
// layout scripts/fetch-models.mjs writes too).
const flat = (v) =>
  v === null || typeof v !== 'object'
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[${v.map(flat).join(', ')}]`
      : Object.keys(v).length === 0
        ? '{}'
        : `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${flat(x)}`).join(', ')} }`;

export function formatCatalog(value, indent = '') {
  const line = flat(value);
  if (value === null || typeof value !== 'object' || indent.length + line.length <= 120) return line;
  const inner = indent + '  ';
  const items = Array.isArray(value)
    ? value.map((v) => inner + formatCatalog(v, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatCatalog(v, inner)}`);
  return (Array.isArray(value) ? '[\n' : '{\n') + items.join(',\n') + '\n' + indent + (Array.isArray(value) ? ']' : '}');
}
