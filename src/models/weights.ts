// The weights of a TF.js Layers model: the weightsManifest's groups read from their shards in
// manifest order, each weight decoded by its dtype and dequantized to float32 at load time.
// Quantized forms are the tensorflowjs converter's: affine uint8/uint16 (w = min + scale * q)
// and float16 (widened exactly).
import { describe, shapeToString, sizeOf } from '../ops/args.js';
import { halfToFloat } from '../half.js';
import { failLoad } from './load-error.js';

export interface HostWeight {
  data: Float32Array;
  shape: number[];
}

interface WeightEntry {
  name: string;
  shape: number[];
  dtype?: string;
  quantization?: { dtype?: string; min?: number; scale?: number; original_dtype?: string };
}

interface ManifestGroup {
  paths: string[];
  weights: WeightEntry[];
}

/** Bytes per stored element, by the form a weight is stored in. */
const STORED_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** How a weight is stored: its dtype, or its quantization's; checked before any byte is read. */
function storedForm(spec: WeightEntry, where: string): string {
  const dtype = spec.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') failLoad(`${where} has dtype ${typeof dtype === 'string' ? dtype : describe(dtype)}; Condense reads float32 and int32 weights (and their quantized forms)`);
  const q = spec.quantization;
  if (q === undefined || q === null) return dtype;
  if (typeof q !== 'object') failLoad(`${where} has quantization ${describe(q)}; expected { dtype, min, scale } or { dtype: 'float16' }`);
  if (q.dtype === 'float16') {
    if (dtype !== 'float32') failLoad(`${where} is ${dtype} quantized to float16; only float32 weights are stored as float16`);
    return 'float16';
  }
  if (q.dtype !== 'uint8' && q.dtype !== 'uint16') failLoad(`${where} is quantized to ${describe(q.dtype)}; Condense reads uint8, uint16 and float16 quantization`);
  for (const k of ['min', 'scale'] as const) {
    if (typeof q[k] !== 'number' || !Number.isFinite(q[k])) failLoad(`${where} is ${q.dtype} quantized but its ${k} is ${describe(q[k])}; it must be a finite number`);
  }
  return q.dtype as string;
}

function decode(bytes: Uint8Array, form: string, count: number, spec: WeightEntry): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (form) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    default: {
      // Affine dequantization as tfjs does it, in float64 before the one rounding to float32.
      const { min, scale } = spec.quantization as { min: number; scale: number };
      const wide = form === 'uint16';
      for (let i = 0; i < count; i++) out[i] = min + scale * (wide ? view.getUint16(i * 2, true) : bytes[i]);
      // Quantized integers dequantize to integers, as tfjs rounds them.
      if ((spec.dtype ?? 'float32') === 'int32') for (let i = 0; i < count; i++) out[i] = Math.round(out[i]);
    }
  }
  return out;
}

/**
 * Reads every weight of the manifest. `shard` reads one shard file by its manifest path; `whole`
 * is every group's bytes concatenated in manifest order instead. Keys drop a trailing ":0".
 */
export async function readWeights(
  json: Record<string, unknown>, shard: ((path: string) => Promise<ArrayBuffer>) | null, whole: ArrayBuffer | null,
): Promise<Map<string, HostWeight>> {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) failLoad(`model.json has no weightsManifest array (got ${describe(manifest)}); is it a TF.js Layers model.json?`);
  const out = new Map<string, HostWeight>();
  let wholeOffset = 0;
  for (const [g, group] of (manifest as ManifestGroup[]).entries()) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) failLoad(`weightsManifest[${g}] must have paths and weights arrays`);
    let bytes = 0;
    const forms = group.weights.map((spec) => {
      if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.shape)) failLoad(`weightsManifest[${g}] has a weight without name and shape: ${describe(spec)}`);
      if (!spec.shape.every((d) => Number.isInteger(d) && d >= 0)) failLoad(`weight "${spec.name}" has shape ${describe(spec.shape)}; dimensions must be non-negative integers`);
      const form = storedForm(spec, `weight "${spec.name}"`);
      bytes += sizeOf(spec.shape) * STORED_BYTES[form];
      return form;
    });
    const stored = forms.some((f) => f !== 'float32') ? 'as stored (quantized or int32)' : 'float32';
    let buffer: Uint8Array;
    if (whole) {
      if (wholeOffset + bytes > whole.byteLength) {
        failLoad(`weights holds ${whole.byteLength} bytes, but the manifest needs ${wholeOffset + bytes} bytes up to group ${g} (${stored})`);
      }
      buffer = new Uint8Array(whole, wholeOffset, bytes);
      wholeOffset += bytes;
    } else {
      const parts = await Promise.all(group.paths.map((p) => shard!(p)));
      const total = parts.reduce((n, p) => n + p.byteLength, 0);
      if (total !== bytes) {
        failLoad(
          `weight group ${g} (shards ${group.paths.map((p) => `"${p}"`).join(', ')}) holds ${total} bytes, but its manifest lists ` +
            `${group.weights.length} ${stored} weights needing ${bytes} bytes: the shards do not belong to this model.json, or are truncated`,
        );
      }
      buffer = new Uint8Array(total);
      let o = 0;
      for (const p of parts) {
        buffer.set(new Uint8Array(p), o);
        o += p.byteLength;
      }
    }
    let offset = 0;
    group.weights.forEach((spec, i) => {
      const n = sizeOf(spec.shape);
      const size = n * STORED_BYTES[forms[i]];
      const data = decode(buffer.subarray(offset, offset + size), forms[i], n, spec);
      offset += size;
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) failLoad(`weight "${spec.name}" (shape ${shapeToString(spec.shape)}) holds ${data[bad]} at index ${bad}; the model's weights must be finite`);
      const key = spec.name.replace(/:0$/, '');
      // Two weights of one name would silently give both layers the last one (tfjs refuses too).
      if (out.has(key)) failLoad(`the weights manifest lists weight "${key}" twice; each weight needs a name of its own`);
      out.set(key, { data, shape: [...spec.shape] });
    });
  }
  if (whole && wholeOffset !== whole.byteLength) failLoad(`weights holds ${whole.byteLength} bytes, but the manifest needs ${wholeOffset} bytes (float32)`);
  return out;
}

/**
 * Finds a layer's weight by `<layer>/<param>`, trying each of `names` (a nested model's scoped
 * name, then the bare one), then any key that ends with it; `shape`, when given, must match.
 */
export function weightLookup(weights: Map<string, HostWeight>, failLoad: (message: string) => never) {
  return (names: readonly string[], param: string, owner: string, shape: number[] | null = null): HostWeight => {
    const keys = names.map((n) => `${n}/${param}`);
    let found = keys.map((k) => weights.get(k)).find((w) => w);
    if (!found) {
      for (const key of keys) {
        const matches = [...weights.keys()].filter((k) => k.endsWith(`/${key}`));
        if (matches.length > 1) failLoad(`weight "${key}" of ${owner} is ambiguous: ${matches.join(', ')}`);
        if (matches.length === 1) {
          found = weights.get(matches[0]);
          break;
        }
      }
    }
    if (!found) {
      return failLoad(`the weights manifest has no "${keys[keys.length - 1]}" for ${owner}; it lists ${[...weights.keys()].map((k) => `"${k}"`).join(', ') || 'no weights'}`);
    }
    if (shape && shapeToString(found.shape) !== shapeToString(shape)) {
      failLoad(`weight "${keys[keys.length - 1]}" has shape ${shapeToString(found.shape)} in the manifest, but ${owner} needs ${shapeToString(shape)}`);
    }
    return found;
  };
}
