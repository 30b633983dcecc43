// The three ways a case runs: Condense, tfjs-webgpu and the CPU reference. Each takes the same
// resolved case and the same data, and runs its op chain exactly as the case spells it.
import type { Engine } from '../src/engine.js';
import * as reference from '../src/reference/index.js';
import type { HostTensor } from '../src/reference/index.js';
import type { Tensor } from '../src/tensor.js';
import type { ResolvedCase } from './cases.js';
import { randomData } from './data.js';

/** Input, filters and biases for one case; filters and biases are indexed by op. */
export interface CaseData {
  input: Float32Array;
  filters: (Float32Array | undefined)[];
  biases: (Float32Array | undefined)[];
}

export function caseData(c: ResolvedCase, seed = 1): CaseData {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return {
    input: randomData(size(c.input), seed),
    // He-style scale keeps conv outputs near unit size, so f32 tolerances stay meaningful.
    filters: c.ops.map((o, i) => (o.filterShape ? randomData(size(o.filterShape), seed + 100 + i, Math.sqrt(2 / size(o.filterShape.slice(0, 3)))) : undefined)),
    biases: c.ops.map((o, i) => (o.spec.op === 'conv2d' && o.spec.bias ? randomData(o.spec.outChannels, seed + 200 + i, 0.1) : undefined)),
  };
}

// ---- Condense ----

export interface CondenseCase {
  /** Records the chain (nothing runs until a flush); intermediates are disposed as they are used up. */
  run(): Tensor;
  dispose(): void;
}

export function condenseCase(engine: Engine, c: ResolvedCase, data: CaseData): CondenseCase {
  const input = engine.tensor(data.input, c.input);
  // Weights are uploaded once, like a model's: the timed runs move activations only.
  const filters = c.ops.map((o, i) => (o.filterShape ? engine.tensor(data.filters[i]!, o.filterShape) : undefined));
  const biases = c.ops.map((_, i) => (data.biases[i] ? engine.tensor(data.biases[i]!, [data.biases[i]!.length]) : undefined));
  return {
    run() {
      let x = input;
      c.ops.forEach(({ spec }, i) => {
        let y: Tensor;
        switch (spec.op) {
          case 'conv2d':
            y = engine.conv2d(x, filters[i]!, { strides: spec.stride, padding: spec.padding, bias: biases[i], activation: spec.relu ? 'relu' : 'linear' });
            break;
          case 'relu':
            y = engine.relu(x);
            break;
          case 'maxPool':
            y = engine.maxPool2d(x, { poolSize: spec.size, strides: spec.stride, padding: spec.padding, dataFormat: spec.dataFormat });
            break;
          case 'avgPool':
            y = engine.avgPool2d(x, { poolSize: spec.size, strides: spec.stride, padding: spec.padding, dataFormat: spec.dataFormat });
            break;
          case 'globalAvg':
            y = engine.globalAvgPool2d(x, { dataFormat: spec.dataFormat });
            break;
          case 'globalMax':
            y = engine.globalMaxPool2d(x, { dataFormat: spec.dataFormat });
            break;
        }
        // A recorded op keeps its input's buffer alive until the submit.
        if (x !== input) x.dispose();
        x = y;
      });
      return x;
    },
    dispose() {
      for (const t of [input, ...filters, ...biases]) t?.dispose();
    },
  };
}

// ---- tfjs-webgpu ----

/** The slice of @tensorflow/tfjs-core the bench uses; typed loosely so the library never depends on tfjs. */
export type Tf = typeof import('@tensorflow/tfjs-core');
type TfTensor = import('@tensorflow/tfjs-core').Tensor;

export interface TfjsCase {
  run(): TfTensor;
  dispose(): void;
}

export function tfjsCase(tf: Tf, c: ResolvedCase, data: CaseData): TfjsCase {
  const input = tf.tensor4d(data.input, c.input);
  const filters = c.ops.map((o, i) => (o.filterShape ? tf.tensor4d(data.filters[i]!, o.filterShape) : undefined));
  const biases = c.ops.map((_, i) => (data.biases[i] ? tf.tensor1d(data.biases[i]!) : undefined));
  return {
    run: () =>
      tf.tidy(() =>
        c.ops.reduce<TfTensor>((x, { spec }, i) => {
          const x4 = x as import('@tensorflow/tfjs-core').Tensor4D;
          switch (spec.op) {
            case 'conv2d':
              if (spec.bias || spec.relu) {
                return tf.fused.conv2d({ x: x4, filter: filters[i]!, strides: spec.stride, pad: spec.padding, bias: biases[i], activation: spec.relu ? 'relu' : 'linear' });
              }
              return tf.conv2d(x4, filters[i]!, spec.stride, spec.padding);
            case 'relu':
              return tf.relu(x);
            case 'maxPool':
            case 'avgPool': {
              // tfjs pools NHWC only: an NCHW case transposes around the op.
              const nchw = spec.dataFormat === 'NCHW';
              const xin = nchw ? tf.transpose(x4, [0, 2, 3, 1]) : x4;
              const y = spec.op === 'maxPool' ? tf.maxPool(xin, spec.size, spec.stride, spec.padding) : tf.avgPool(xin, spec.size, spec.stride, spec.padding);
              return nchw ? tf.transpose(y, [0, 3, 1, 2]) : y;
            }
            case 'globalAvg':
              return tf.mean(x, spec.dataFormat === 'NCHW' ? [2, 3] : [1, 2]);
            case 'globalMax':
              return tf.max(x, spec.dataFormat === 'NCHW' ? [2, 3] : [1, 2]);
          }
        }, input),
      ),
    dispose() {
      for (const t of [input, ...filters, ...biases]) t?.dispose();
    },
  };
}

/** Submits what tfjs-webgpu has batched and waits for the GPU to finish it. */
export async function tfjsFinish(tf: Tf): Promise<void> {
  const backend = tf.backend() as any;
  if (!backend?.device) return;
  if (backend.commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  await backend.device.queue.onSubmittedWorkDone();
}

// ---- CPU reference ----

export function cpuRun(c: ResolvedCase, data: CaseData): HostTensor {
  return c.ops.reduce<HostTensor>((x, { spec, filterShape }, i) => {
    switch (spec.op) {
      case 'conv2d':
        return reference.conv2d(x, { data: data.filters[i]!, shape: filterShape! }, { strides: spec.stride, padding: spec.padding, bias: data.biases[i], activation: spec.relu ? 'relu' : 'linear' });
      case 'relu':
        return reference.relu(x);
      case 'maxPool':
        return reference.maxPool2d(x, { poolSize: spec.size, strides: spec.stride, padding: spec.padding, dataFormat: spec.dataFormat });
      case 'avgPool':
        return reference.avgPool2d(x, { poolSize: spec.size, strides: spec.stride, padding: spec.padding, dataFormat: spec.dataFormat });
      case 'globalAvg':
        return reference.globalAvgPool2d(x, { dataFormat: spec.dataFormat });
      case 'globalMax':
        return reference.globalMaxPool2d(x, { dataFormat: spec.dataFormat });
    }
  }, { data: data.input, shape: [...c.input] });
}
