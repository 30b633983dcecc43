// Fusing recorded chains at submit time, the dispatcher's rewrite pass. Ops are recorded lazily,
// so when a submit comes the dispatcher can see conv2d -> relu -> maxPool2d chains whose
// intermediate tensors were already disposed: those intermediates can never be read, so the
// chain runs as one conv2d_block dispatch that applies the activation and the 2 x 2 max pool in
// registers. A 1x1 conv immediately followed by a same-shape add of its output (MobileNetV2's
// project conv and shortcut) runs as one conv2d_pointwise dispatch that adds the other operand in
// its epilogue. A zero padding read only by the NHWC conv right after it (Keras' ZeroPadding2D
// before a 'valid' stride-2 conv, as in MobileNets) becomes that conv's own padding: the padded
// copy is never written. The ops that may start or continue a chain leave a FusionNote with their dispatch.
import type { PendingOp, RewriteContext } from '../gpu/dispatcher.js';
import { CondenseArgumentError } from './args.js';
import { blockable, conv2dBlockProgram, conv2dPointwisePrograms, conv2dProgram, convKernel, fusablePool, pointwise, type Activation, type ConvChoices, type ConvGeometry } from './conv2d.js';
import { globalPoolProgram } from './global-pool.js';
import type { ZeroPadGeometry } from './layout.js';
import type { WindowGeometry } from './window.js';

/**
 * Every rewrite here is optional: where its grid passes the device's limits (planning throws a
 * CondenseArgumentError) the ops stay as recorded. Anything else is a bug and propagates.
 */
function rethrowUnlessPastLimits(e: unknown): void {
  if (!(e instanceof CondenseArgumentError)) throw e;
}

/** What an op recorded about itself so that a later submit can fuse it. */
export type FusionNote =
  | { kind: 'conv'; g: ConvGeometry; hasBias: boolean; activation: Activation; choices: ConvChoices; out: GPUBuffer }
  | { kind: 'relu'; input: GPUBuffer; out: GPUBuffer }
  | { kind: 'maxPool'; g: WindowGeometry; input: GPUBuffer; out: GPUBuffer }
  | { kind: 'add'; a: GPUBuffer; b: GPUBuffer; out: GPUBuffer }
  | { kind: 'zeroPad'; g: ZeroPadGeometry; input: GPUBuffer; out: GPUBuffer };

/**
 * A consumer may read a producer's buffer through a view of another shape (reshape, flatten), so
 * a rewrite that merges two ops' geometries first checks that the consumer sees the producer's
 * output shape. Elementwise consumers (relu, add) see flat data and need no check.
 */
function samePlanes(pool: WindowGeometry, conv: ConvGeometry): boolean {
  return pool.batch === conv.batch && pool.inHeight === conv.outHeight && pool.inWidth === conv.outWidth && pool.inChannels === conv.outChannels;
}

function padFeeds(pad: ZeroPadGeometry, conv: ConvGeometry): boolean {
  const [n, h, w, c] = pad.outShape;
  return n === conv.batch && h === conv.inHeight && w === conv.inWidth && c === conv.inChannels;
}

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
export function fuseChains(recorded: PendingOp[], ctx: RewriteContext): PendingOp[] {
  const ops = foldPadding(recorded, ctx);
  const out: PendingOp[] = [];
  const privateTo = (buffer: GPUBuffer, producer: number, consumer: number) =>
    ctx.released(buffer) && ops.every((op, i) => i === producer || i === consumer || !usedBy(op, buffer));
  for (let i = 0; i < ops.length; i++) {
    const conv = noteOf(ops[i]);
    if (conv?.kind !== 'conv') {
      out.push(coldGlobalPool(ops[i], ctx) ?? ops[i]);
      continue;
    }
    const add = noteOf(ops[i + 1]);
    if (add?.kind === 'add' && blockable(conv.g) && pointwise(conv.g) && (add.a === conv.out) !== (add.b === conv.out) && privateTo(conv.out, i, i + 1)) {
      const residual = add.a === conv.out ? add.b : add.a;
      const [x, filter, bias] = ops[i].bindings;
      // Past the device's grid limit the next kernel takes the fused add; past all, the ops stay as recorded.
      let fused: PendingOp | null = null;
      for (const program of conv2dPointwisePrograms(conv.g, conv.hasBias, conv.activation, ctx.workgroupSize, true, conv.choices)) {
        try {
          fused = ctx.plan({ ...program, uniforms: [0, 0, 0, ...program.uniforms] }, [x, filter, bias, { buffer: add.out }, { buffer: residual }]);
          break;
        } catch (e) {
          rethrowUnlessPastLimits(e);
        }
      }
      if (fused) {
        out.push(fused);
        i += 1;
        continue;
      }
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
    const convOut = tail;
    let fusedPool: WindowGeometry | undefined;
    if (pool?.kind === 'maxPool' && pool.input === tail && samePlanes(pool.g, conv.g) && fusablePool(pool.g) && privateTo(tail, last, last + 1)) {
      fusedPool = pool.g;
      last += 1;
      tail = pool.out;
    }
    const cold = coldStart(ops, i, last, conv, activation, convOut, fusedPool, ctx);
    if (cold) {
      out.push(...cold);
      i = last;
      continue;
    }
    if (last === i || !blockable(conv.g)) {
      out.push(ops[i]);
      continue;
    }
    try {
      const program = conv2dBlockProgram(conv.g, conv.hasBias, activation, ctx.workgroupSize, conv.choices.stageFilter, fusedPool && { pool: fusedPool });
      // conv2d_block binds x, filter, bias, out, then x again (as vec4s); the direct conv kernel
      // the conv may have been recorded with binds the first four.
      const [x, filter, bias] = ops[i].bindings;
      out.push(ctx.plan({ ...program, uniforms: [0, 0, 0, ...program.uniforms] }, [x, filter, bias, { buffer: tail }, { ...x }]));
      i = last;
    } catch (e) {
      rethrowUnlessPastLimits(e);
      out.push(ops[i]);
    }
  }
  return out;
}

/**
 * Cold start: while conv2d_block's pipeline for this chain is still compiling in the background
 * (model.to() / engine.precompile started it), the conv runs as the direct kernel with the
 * activation folded in, and a pool after it as its own recorded dispatch, when those pipelines
 * are compiled or compiling too. conv2d_block is written out by hand (16 accumulators) and took
 * 400-550 ms to compile on SwiftShader (a CPU adapter) against 45 ms for the direct kernel and
 * 40 ms for the pool, so the first predict no longer waits for it; later submits take the
 * blocked kernel once it is ready. On a discrete GPU both compile in milliseconds and the blocked
 * kernel is ready for the first predict, or nearly: at worst one run takes the direct kernel.
 */
function coldStart(
  ops: PendingOp[], i: number, last: number, conv: Extract<FusionNote, { kind: 'conv' }>, activation: Activation, convOut: GPUBuffer,
  pool: WindowGeometry | undefined, ctx: RewriteContext,
): PendingOp[] | null {
  let blocked = ops[i].program;
  try {
    if (last !== i && blockable(conv.g)) blocked = conv2dBlockProgram(conv.g, conv.hasBias, activation, ctx.workgroupSize, conv.choices.stageFilter, pool && { pool });
  } catch (e) {
    rethrowUnlessPastLimits(e);
    return null;
  }
  if (blocked.kernel.name !== 'conv2d_block' || ctx.pipelineState(blocked) !== 'compiling') return null;
  const direct = conv2dProgram(conv.g, conv.hasBias, activation, ctx.workgroupSize);
  const pooled = pool ? ops[last] : null;
  if (ctx.pipelineState(direct) === 'none' || (pooled && ctx.pipelineState(pooled.program) === 'none')) return null;
  try {
    const [x, filter, bias] = ops[i].bindings;
    const planned = ctx.plan({ ...direct, uniforms: [0, 0, 0, ...direct.uniforms] }, [x, filter, bias, { buffer: convOut }]);
    return pooled ? [planned, pooled] : [planned];
  } catch (e) {
    rethrowUnlessPastLimits(e);
    return null;
  }
}

/**
 * Cold start, as coldStart for convs: a global pool tree whose pipeline is still compiling runs as
 * the one-invocation-per-(n, c) loop over the same chunk. The tree's workgroup barriers took
 * 165-200 ms to compile on SwiftShader against 25 ms for the loop; on a discrete GPU the tree is
 * ready by the first predict, or one run takes the loop.
 */
function coldGlobalPool(op: PendingOp, ctx: RewriteContext): PendingOp | null {
  const tree = op.program;
  if (!tree.kernel.name.startsWith('global_pool_tree') || !tree.perWorkgroup || ctx.pipelineState(tree) !== 'compiling') return null;
  // globalTreeProgram's words after the chunk's: plane, channels, quads per block, -inf.
  const [outStart, inShift, outShift, plane, channels] = tree.uniforms;
  const loop = globalPoolProgram(tree.constants.POOL_MAX ? 'MAX' : 'AVG', plane, channels, plane, ctx.workgroupSize);
  if (ctx.pipelineState(loop) === 'none') return null;
  const invocations = (tree.invocations / tree.perWorkgroup.blocks) * tree.perWorkgroup.perImage;
  try {
    return ctx.plan({ ...loop, invocations, uniforms: [outStart, inShift, outShift, ...loop.uniforms] }, op.bindings);
  } catch (e) {
    rethrowUnlessPastLimits(e);
    return null;
  }
}

/** Each zero padding read only by the conv right after it, folded into that conv's padding (kept unsplit). */
function foldPadding(ops: PendingOp[], ctx: RewriteContext): PendingOp[] {
  const out: PendingOp[] = [];
  for (let i = 0; i < ops.length; i++) {
    const pad = noteOf(ops[i]);
    const conv = noteOf(ops[i + 1]);
    if (pad?.kind !== 'zeroPad' || conv?.kind !== 'conv' || ops[i + 1].bindings[0].buffer !== pad.out || !ctx.released(pad.out) || !padFeeds(pad.g, conv.g)
      || ops.some((op, j) => j !== i && j !== i + 1 && usedBy(op, pad.out)) || ops[i + 1].bindings.slice(1).some((b) => b.buffer === pad.out)) {
      out.push(ops[i]);
      continue;
    }
    const p = pad.g;
    const g: ConvGeometry = {
      ...conv.g, inHeight: p.inHeight, inWidth: p.inWidth,
      padTop: conv.g.padTop + p.top, padBottom: conv.g.padBottom + p.bottom, padLeft: conv.g.padLeft + p.left, padRight: conv.g.padRight + p.right,
    };
    try {
      const { program, tail } = convKernel(g, conv.hasBias, conv.activation, ctx.workgroupSize, conv.choices, true, Infinity);
      // Padding is never pointwise, so no residual slot is needed ('unused' cannot come back).
      if (tail === 'unused') throw new Error('unreachable');
      const [, filter, bias, result] = ops[i + 1].bindings;
      const x = { buffer: pad.input };
      const planned = ctx.plan({ ...program, uniforms: [0, 0, 0, ...program.uniforms] }, [x, filter, bias, result, ...(tail === 'input' ? [{ ...x }] : [])]);
      out.push({ ...planned, note: { ...conv, g } satisfies FusionNote });
      i += 1;
    } catch (e) {
      rethrowUnlessPastLimits(e);
      out.push(ops[i]);
    }
  }
  return out;
}
