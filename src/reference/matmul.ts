// NumPy's matmul on host tensors (ONNX MatMul): batch dimensions broadcast, 1-D operands as a row
// (a) or a column (b) whose unit axis is dropped. Sums in float64, rounded once.
import { matmulGeometry } from '../ops/matmul.js';
import { checkHost } from './check.js';
import type { HostTensor } from './types.js';

export function matmul(a: HostTensor, b: HostTensor): HostTensor {
  const op = 'matmul';
  const x = checkHost(a, op, 'a');
  const y = checkHost(b, op, 'b');
  const g = matmulGeometry(op, x.shape, y.shape);
  const batches = g.dims.reduce((p, d) => p * d, 1);
  const out = new Float32Array(batches * g.m * g.n);
  for (let bt = 0; bt < batches; bt++) {
    let rest = bt;
    let ao = 0;
    let bo = 0;
    for (let d = g.dims.length - 1; d >= 0; d--) {
      const c = rest % g.dims[d];
      rest = Math.floor(rest / g.dims[d]);
      ao += c * g.aStrides[d];
      bo += c * g.bStrides[d];
    }
    for (let i = 0; i < g.m; i++) {
      for (let j = 0; j < g.n; j++) {
        let sum = 0;
        for (let t = 0; t < g.k; t++) sum += x.data[ao + i * g.k + t] * y.data[bo + t * g.n + j];
        out[(bt * g.m + i) * g.n + j] = sum;
      }
    }
  }
  return { data: out, shape: g.outShape };
}
