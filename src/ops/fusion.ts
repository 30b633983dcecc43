// Fusing recorded chains at submit time, the dispatcher's rewrite pass. Ops are recorded lazily,
// so when a submit comes the dispatcher can see conv2d -> relu -> maxPool2d chains whose
// intermediate tensors were already disposed: those intermediates can never be read, so the
// chain runs as one conv2d_block dispatch that applies the activation and the 2 x 2 max pool in
// registers. The ops that may start or continue a chain leave a FusionNote with their dispatch.
import type { PendingOp, RewriteContext } from '../gpu/dispatcher.js';
import { conv2dBlockProgram, fusablePool, type Activation, type ConvGeometry } from './conv2d.js';
import type { WindowGeometry } from './window.js';

/** What an op recorded about itself so that a later submit can fuse it. */
export type FusionNote =
  | { kind: 'conv'; g: ConvGeometry; hasBias: boolean; activation: Activation; stageFilter: boolean; out: GPUBuffer }
  | { kind: 'relu'; input: GPUBuffer; out: GPUBuffer }
  | { kind: 'maxPool'; g: WindowGeometry; input: GPUBuffer; out: GPUBuffer };

/** Only the ops in src/ops/ leave notes, and each is a FusionNote. */
const noteOf = (op: PendingOp | undefined): FusionNote | undefined => op?.note as FusionNote | undefined;

function usedBy(op: PendingOp, buffer: GPUBuffer): boolean {
  return op.bindings.some((b) => b.buffer === buffer);
}

/**
 * Replaces each fusable chain in `ops` by one op. A chain is a conv op immediately followed by a
 * relu of its output and/or a fusable max pool of that, where every intermediate buffer is
 * released and read by nothing else in this submit.
 */
export function fuseChains(ops: PendingOp[], ctx: RewriteContext): PendingOp[] {
  const out: PendingOp[] = [];
  const privateTo = (buffer: GPUBuffer, producer: number, consumer: number) =>
    ctx.released(buffer) && ops.every((op, i) => i === producer || i === consumer || !usedBy(op, buffer));
  for (let i = 0; i < ops.length; i++) {
    const conv = noteOf(ops[i]);
    if (conv?.kind !== 'conv') {
      out.push(ops[i]);
      continue;
    }
    let activation = conv.activation;
    let last = i;
    let tail = conv.out;
    const relu = noteOf(ops[i + 1]);
    // relu after relu6 or hard swish is not relu: only a linear or relu conv takes it.
    if (relu?.kind === 'relu' && relu.input === tail && (activation === 'linear' || activation === 'relu') && privateTo(tail, i, i + 1)) {
      activation = 'relu';
      last = i + 1;
      tail = relu.out;
    }
    const pool = noteOf(ops[last + 1]);
    let fusedPool: WindowGeometry | undefined;
    if (pool?.kind === 'maxPool' && pool.input === tail && fusablePool(pool.g) && privateTo(tail, last, last + 1)) {
      fusedPool = pool.g;
      last += 1;
      tail = pool.out;
    }
    if (last === i) {
      out.push(ops[i]);
      continue;
    }
    try {
      const program = conv2dBlockProgram(conv.g, conv.hasBias, activation, ctx.workgroupSize, conv.stageFilter, fusedPool && { pool: fusedPool });
      // conv2d_block binds x, filter, bias, out, then x again (as vec4s); the direct conv kernel
      // the conv may have been recorded with binds the first four.
      const [x, filter, bias] = ops[i].bindings;
      out.push(ctx.plan({ ...program, uniforms: [0, 0, 0, ...program.uniforms] }, [x, filter, bias, { buffer: tail }, { ...x }]));
      i = last;
    } catch {
      out.push(ops[i]);
    }
  }
  return out;
}
