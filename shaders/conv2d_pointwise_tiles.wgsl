// conv2d_pointwise_tiles: the NHWC 1x1 convolution of conv2d_pointwise (out[M, Cout] =
// x[M, Cin] * filter[Cin, Cout] over the M = N * H * W pixels) as a GEMM with shared-memory
// tiles, for GPUs. A workgroup of 8 x 8 invocations computes TILE_PIXELS (32) pixels x
// TILE_CHANNELS (64) output channels, each invocation 4 pixels x 8 channels (8 vec4
// accumulators). Per step it stages K_TILE (16) input channels of its pixels and the matching
// filter rows in workgroup memory, the loads spread over all 64 invocations (neighbouring
// invocations read neighbouring words: coalesced), then every invocation reads its operands from
// workgroup memory: each x word is read from global memory once per workgroup instead of once per
// channel pair, as conv2d_pointwise's invocations do. CPU adapters (SwiftShader) keep
// conv2d_pointwise: their workgroup memory is plain memory and each barrier costs a coroutine
// switch (EngineOptions.pointwiseTiles).
// The thread layout is written for TILE_PIXELS = 8 x 4 and TILE_CHANNELS = 8 x 8 (the TypeScript
// constants POINTWISE_TILE pass them); K_TILE is a multiple of 4.
// With RESIDUAL (src/ops/fusion.ts) a following same-shape add is folded into the epilogue:
// out = activation(x * filter + bias) + residual.

struct Params {
  total: u32,      // (unused: the grid is sized by the host)
  row_pitch: u32,  // (unused)
  out_start: u32,  // (0: this kernel runs unsplit)
  in_shift: u32,
  out_shift: u32,
  pixels: u32,
  in_channels: u32,
  out_channels: u32,
}

override HAS_BIAS: bool;
override RESIDUAL: bool;
override TILE_PIXELS: u32;
override TILE_CHANNELS: u32;
override K_TILE: u32;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
// The fused add's other operand, shaped like out (the unused binding without RESIDUAL).
@group(0) @binding(4) var<storage, read> residual: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

// x's tile as [pixel][input quad]; the filter's as [input channel][output quad].
var<workgroup> x_tile: array<vec4f, TILE_PIXELS * K_TILE / 4u>;
var<workgroup> w_tile: array<vec4f, K_TILE * TILE_CHANNELS / 4u>;

fn mac(acc: vec4f, a: vec4f, w0: vec4f, w1: vec4f, w2: vec4f, w3: vec4f) -> vec4f {
  return acc + a.x * w0 + a.y * w1 + a.z * w2 + a.w * w3;
}

/** One output quad of one pixel: `b` is the quad's bias (zeros without HAS_BIAS). */
fn store(p: u32, q: u32, nq: u32, v: vec4f, b: vec4f) {
  if (p >= params.pixels || q >= nq) {
    return;
  }
  let at = p * nq + q;
  if (RESIDUAL) {
    out[at] = activate4(v + b) + residual[at];
  } else {
    out[at] = activate4(v + b);
  }
}

@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let kq = params.in_channels / 4u;
  let nq = params.out_channels / 4u;
  let tile_quads = TILE_CHANNELS / 4u;
  let step_quads = K_TILE / 4u;
  let p_base = wid.x * TILE_PIXELS;
  let q_base = wid.y * tile_quads;
  let me = lid.y * 8u + lid.x;
  let row0 = lid.y * 4u;
  let col0 = lid.x * 2u;
  var a00 = vec4f(0.0); var a01 = vec4f(0.0);
  var a10 = vec4f(0.0); var a11 = vec4f(0.0);
  var a20 = vec4f(0.0); var a21 = vec4f(0.0);
  var a30 = vec4f(0.0); var a31 = vec4f(0.0);
  for (var k0 = 0u; k0 < kq; k0 += step_quads) {
    // Past the last pixel, input channel or output quad the tiles hold zeros (the reads are
    // clamped into the buffers, then replaced).
    for (var i = me; i < TILE_PIXELS * step_quads; i += 64u) {
      let p = p_base + i / step_quads;
      let k = k0 + i % step_quads;
      let inside = p < params.pixels && k < kq;
      x_tile[i] = select(vec4f(0.0), x[min(p, params.pixels - 1u) * kq + min(k, kq - 1u)], inside);
    }
    for (var i = me; i < K_TILE * tile_quads; i += 64u) {
      let k = k0 * 4u + i / tile_quads;
      let q = q_base + i % tile_quads;
      let inside = k < params.in_channels && q < nq;
      w_tile[i] = select(vec4f(0.0), weights[min(k, params.in_channels - 1u) * nq + min(q, nq - 1u)], inside);
    }
    workgroupBarrier();
    for (var s = 0u; s < step_quads; s++) {
      let w = s * 4u * tile_quads + col0;
      let w00 = w_tile[w]; let w01 = w_tile[w + 1u];
      let w10 = w_tile[w + tile_quads]; let w11 = w_tile[w + tile_quads + 1u];
      let w20 = w_tile[w + 2u * tile_quads]; let w21 = w_tile[w + 2u * tile_quads + 1u];
      let w30 = w_tile[w + 3u * tile_quads]; let w31 = w_tile[w + 3u * tile_quads + 1u];
      let x0 = x_tile[row0 * step_quads + s];
      let x1 = x_tile[(row0 + 1u) * step_quads + s];
      let x2 = x_tile[(row0 + 2u) * step_quads + s];
      let x3 = x_tile[(row0 + 3u) * step_quads + s];
      a00 = mac(a00, x0, w00, w10, w20, w30); a01 = mac(a01, x0, w01, w11, w21, w31);
      a10 = mac(a10, x1, w00, w10, w20, w30); a11 = mac(a11, x1, w01, w11, w21, w31);
      a20 = mac(a20, x2, w00, w10, w20, w30); a21 = mac(a21, x2, w01, w11, w21, w31);
      a30 = mac(a30, x3, w00, w10, w20, w30); a31 = mac(a31, x3, w01, w11, w21, w31);
    }
    workgroupBarrier();
  }
  let p = p_base + row0;
  let q = q_base + col0;
  var b0 = vec4f(0.0);
  var b1 = vec4f(0.0);
  if (HAS_BIAS) {
    b0 = bias[min(q, nq - 1u)];
    b1 = bias[min(q + 1u, nq - 1u)];
  }
  store(p, q, nq, a00, b0); store(p, q + 1u, nq, a01, b1);
  store(p + 1u, q, nq, a10, b0); store(p + 1u, q + 1u, nq, a11, b1);
  store(p + 2u, q, nq, a20, b0); store(p + 2u, q + 1u, nq, a21, b1);
  store(p + 3u, q, nq, a30, b0); store(p + 3u, q + 1u, nq, a31, b1);
}
