// equal: a == b with NumPy/ONNX broadcasting, as 1 or 0 (ONNX Equal's booleans, held as floats).
// IEEE equality: NaN equals nothing, -0 equals +0. The shape rule is broadcast.ts's.
import type { Program } from '../gpu/program.js';
import { wholeInputChunks } from '../gpu/split.js';
import type { Recorder } from '../recorder.js';
import type { Tensor } from '../tensor.js';
import { sizeOf } from './args.js';
import { broadcastGeometry, type BroadcastGeometry } from './broadcast.js';
import { kernels } from './registry.js';

export function equalProgram(g: BroadcastGeometry, workgroupSize: number): Program {
  return { kernel: kernels.equal, constants: { WORKGROUP_SIZE: workgroupSize }, invocations: 0, uniforms: [...g.dims, ...g.aStrides, ...g.bStrides] };
}

/** 1 where a == b (broadcast), else 0; each operand must fit one binding. */
export function equal(rec: Recorder, a: Tensor, b: Tensor): Tensor {
  const op = 'equal';
  const ia = rec.input(a, op, 'a');
  const ib = rec.input(b, op, 'b');
  const g = broadcastGeometry(op, a.shape, b.shape);
  rec.checkBinding(op, 'a', a.size * 4);
  rec.checkBinding(op, 'b', b.size * 4);
  return rec.run(op, equalProgram(g, rec.workgroupSize), ia, g.outShape, wholeInputChunks(sizeOf(g.outShape), a.size, rec.limits), () => [{ buffer: ib, size: b.size * 4 }]);
}
