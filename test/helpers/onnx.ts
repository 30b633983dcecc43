// Running one ONNX model through onnxruntime-web (the oracle: its wasm CPU backend in Node) and
// through Condense (GPU and CPU reference), and comparing every output.
import * as ort from 'onnxruntime-web';
import { expect } from 'vitest';
import { buildOnnxModel, parseOnnxModel, type Engine, type HostTensor, type OnnxModelSpec } from '../../src/index.js';
import { expectClose, maxAbsDiff, randomData, type Tolerance } from './compare.js';

ort.env.wasm.numThreads = 1;
ort.env.logLevel = 'error';

export const ORACLE_TOL: Tolerance = { atol: 1e-4, rtol: 1e-4 };

/** Largest |Condense - onnxruntime| seen, per case label, for the closing report. */
export const worst: { label: string; gpu: number; cpu: number }[] = [];

export async function runOrt(bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.shape)])));
    return Object.fromEntries(
      Object.entries(out).map(([k, t]) => [k, { data: Float32Array.from(t.data as Float32Array), shape: t.dims.map(Number) }]),
    );
  } finally {
    await session.release();
  }
}

export function randomInput(shape: number[], random: () => number, lo = -2, hi = 2): HostTensor {
  return { data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi), shape };
}

/** Builds the model, runs it on onnxruntime and on Condense (GPU and reference), compares every output. */
export async function checkAgainstOrt(engine: Engine, spec: OnnxModelSpec, feeds: Record<string, HostTensor>, label: string, tol: Tolerance = ORACLE_TOL): Promise<void> {
  const bytes = buildOnnxModel(spec);
  const want = await runOrt(bytes, feeds);
  const model = parseOnnxModel(bytes).to(engine);
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, engine.tensor(v.data, v.shape)]));
    const outs = model.run(tensors);
    const ref = model.runReference(feeds);
    let gpuErr = 0;
    let cpuErr = 0;
    for (const o of spec.outputs) {
      const w = want[o.name];
      const got = outs[o.name];
      expect(got.shape, `${label}: ${o.name} shape`).toEqual(w.shape);
      expect(ref[o.name].shape, `${label}: ${o.name} reference shape`).toEqual(w.shape);
      const data = await got.read();
      expectClose(data, w.data, tol, `${label}: ${o.name} (GPU vs onnxruntime)`);
      expectClose(ref[o.name].data, w.data, tol, `${label}: ${o.name} (reference vs onnxruntime)`);
      gpuErr = Math.max(gpuErr, maxAbsDiff(data, w.data));
      cpuErr = Math.max(cpuErr, maxAbsDiff(ref[o.name].data, w.data));
      got.dispose();
    }
    Object.values(tensors).forEach((t) => t.dispose());
    worst.push({ label, gpu: gpuErr, cpu: cpuErr });
  } finally {
    model.dispose();
  }
}

/** One-node model: x (and extra inputs/initializers) -> op -> y. */
export function single(op: string, xShape: (number | string)[], attrs: OnnxModelSpec['nodes'][0]['attrs'], extra: Partial<OnnxModelSpec> & { inputNames?: string[] } = {}): OnnxModelSpec {
  return {
    opset: extra.opset ?? 17,
    inputs: [{ name: 'x', shape: xShape }, ...(extra.inputs ?? [])],
    outputs: [{ name: 'y' }],
    initializers: extra.initializers ?? [],
    nodes: [{ op, inputs: extra.inputNames ?? ['x'], outputs: ['y'], attrs, name: `${op.toLowerCase()}0` }],
  };
}
