import { reference, type HostTensor, type Tensor } from '../../src/index.js';
import { gpuEngine } from './gpu.js';

type Opts = any;

/** The ops with one async signature on host tensors, so one test body checks both implementations. */
export interface Ops {
  conv2d(x: HostTensor, filter: HostTensor, options?: Opts): Promise<HostTensor>;
  relu(x: HostTensor): Promise<HostTensor>;
  maxPool2d(x: HostTensor, options: Opts): Promise<HostTensor>;
  avgPool2d(x: HostTensor, options: Opts): Promise<HostTensor>;
  pool(x: HostTensor, options: Opts): Promise<HostTensor>;
  globalAvgPool2d(x: HostTensor, options?: Opts): Promise<HostTensor>;
  globalMaxPool2d(x: HostTensor, options?: Opts): Promise<HostTensor>;
}

export const referenceOps: Ops = {
  conv2d: async (x, f, o) => reference.conv2d(x, f, o),
  relu: async (x) => reference.relu(x),
  maxPool2d: async (x, o) => reference.maxPool2d(x, o),
  avgPool2d: async (x, o) => reference.avgPool2d(x, o),
  pool: async (x, o) => reference.pool(x, o),
  globalAvgPool2d: async (x, o) => reference.globalAvgPool2d(x, o),
  globalMaxPool2d: async (x, o) => reference.globalMaxPool2d(x, o),
};

/** Uploads, runs one op, reads back, disposes. */
export async function gpuOps(): Promise<Ops> {
  const engine = await gpuEngine();
  const run = async (x: HostTensor, op: (t: Tensor) => Tensor): Promise<HostTensor> => {
    const t = engine.tensor(x.data, x.shape);
    try {
      const y = op(t);
      const data = await y.read();
      y.dispose();
      return { data, shape: [...y.shape] };
    } finally {
      t.dispose();
    }
  };
  return {
    conv2d: (x, f, o = {}) => {
      // The engine takes bias as a Tensor or plain numbers; a host tensor's data stands in.
      const bias = o.bias && 'data' in o.bias ? o.bias.data : o.bias;
      return run(x, (t) => engine.conv2d(t, f, { ...o, bias }));
    },
    relu: (x) => run(x, (t) => engine.relu(t)),
    maxPool2d: (x, o) => run(x, (t) => engine.maxPool2d(t, o)),
    avgPool2d: (x, o) => run(x, (t) => engine.avgPool2d(t, o)),
    pool: (x, o) => run(x, (t) => engine.pool(t, o)),
    globalAvgPool2d: (x, o) => run(x, (t) => engine.globalAvgPool2d(t, o)),
    globalMaxPool2d: (x, o) => run(x, (t) => engine.globalMaxPool2d(t, o)),
  };
}
