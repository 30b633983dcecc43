// Keras activations by name, on the engine and on the CPU reference. Keras 2 and Keras 3 differ on
// hard_sigmoid (0.2x + 0.5 against x/6 + 0.5, both clipped to [0, 1]), so the model's version
// picks it; hard_swish is x * hard_sigmoid(x) with Keras 3's slope in both.
import type { Engine } from '../engine.js';
import * as reference from '../reference/index.js';
import type { HostTensor } from '../reference/index.js';
import type { Tensor } from '../tensor.js';
import { failLoad } from './load-error.js';

export interface KerasActivation {
  name: string;
  gpu(engine: Engine, x: Tensor): Tensor;
  cpu(x: HostTensor): HostTensor;
}

const same = <T>(x: T) => x;

function table(kerasVersion: number): Record<string, Omit<KerasActivation, 'name'>> {
  const hardSigmoid = kerasVersion >= 3 ? { alpha: 1 / 6, beta: 0.5 } : { alpha: 0.2, beta: 0.5 };
  return {
    linear: { gpu: (_e, x) => x, cpu: same },
    relu: { gpu: (e, x) => e.relu(x), cpu: reference.relu },
    relu6: { gpu: (e, x) => e.relu6(x), cpu: reference.relu6 },
    sigmoid: { gpu: (e, x) => e.sigmoid(x), cpu: reference.sigmoid },
    hard_sigmoid: { gpu: (e, x) => e.hardSigmoid(x, hardSigmoid), cpu: (x) => reference.hardSigmoid(x, hardSigmoid) },
    swish: { gpu: (e, x) => e.swish(x), cpu: reference.swish },
    silu: { gpu: (e, x) => e.swish(x), cpu: reference.swish },
    hard_swish: { gpu: (e, x) => e.hardSwish(x), cpu: reference.hardSwish },
    hard_silu: { gpu: (e, x) => e.hardSwish(x), cpu: reference.hardSwish },
    tanh: { gpu: (e, x) => e.tanh(x), cpu: reference.tanh },
    elu: { gpu: (e, x) => e.elu(x), cpu: (x) => reference.elu(x) },
    selu: { gpu: (e, x) => e.selu(x), cpu: reference.selu },
    gelu: { gpu: (e, x) => e.gelu(x), cpu: (x) => reference.gelu(x) },
    softplus: { gpu: (e, x) => e.softplus(x), cpu: reference.softplus },
    softmax: { gpu: (e, x) => e.softmax(x), cpu: (x) => reference.softmax(x) },
  };
}

/** The activation names Condense maps, as Keras spells them. */
export const KERAS_ACTIVATIONS = Object.keys(table(2));

/** The activation a layer config names (a string, or Keras 3's { class_name, config }), checked at load. */
export function kerasActivation(value: unknown, kerasVersion: number, where: string): KerasActivation {
  const name = value === undefined || value === null
    ? 'linear'
    : typeof value === 'string' ? value : ((value as { config?: { name?: string } }).config?.name ?? (value as { class_name?: string }).class_name);
  const key = typeof name === 'string' ? name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase() : '';
  const known = table(kerasVersion);
  const f = known[key];
  if (!f) return failLoad(`${where} uses activation ${JSON.stringify(name)}; Condense runs ${Object.keys(known).join(', ')}`);
  return { name: key, ...f };
}

/** Applies `act` to a result of the engine's, disposing the pre-activation unless it is the identity. */
export function activateGpu(engine: Engine, y: Tensor, act: KerasActivation): Tensor {
  if (act.name === 'linear') return y;
  try {
    return act.gpu(engine, y);
  } finally {
    y.dispose();
  }
}
