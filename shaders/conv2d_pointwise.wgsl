// conv2d_pointwise: NHWC 1x1 convolution at stride 1 without padding (MobileNet's expand and
// project layers), seen as the matrix product out[M, Cout] = x[M, Cin] * filter[Cin, Cout] over
// the M = N * H * W pixels. Each invocation computes 8 pixels x 8 output channels (two vec4
// quads): 16 vec4 accumulators, so each input vec4 feeds 8 multiply-adds and each filter vec4 8.
// The grid's x runs over blocks of 8 pixels and y over pairs of output quads, so a workgroup reads
// the same filter words in every invocation (one broadcast read on GPUs; no shared memory and no
// barriers, which CPU adapters such as SwiftShader charge dearly for) and neighbouring pixels.
// Pixels are flattened across rows and images, so no invocation idles on a 7 x 7 map: conv2d_block
// covers 2 x 4 pixel tiles of a map, and on the last layers of a classifier most of its tiles and
// workgroup lanes fall outside the map.
// The block is written out by hand: SwiftShader (CPU) keeps loop-indexed arrays in memory.
// With RESIDUAL the fusion pass (src/ops/fusion.ts) has folded a following same-shape add into the
// epilogue (MobileNetV2's project conv + shortcut): out = activation(x * filter + bias) + residual,
// written once instead of written, read back and written again.

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

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;
override RESIDUAL: bool;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
// The fused add's other operand, shaped like out (the unused binding without RESIDUAL).
@group(0) @binding(4) var<storage, read> residual: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

fn store(at: u32, v: vec4f) {
  if (RESIDUAL) {
    out[at] = v + residual[at];
  } else {
    out[at] = v;
  }
}

fn mac(a: vec4f, w0: vec4f, w1: vec4f, w2: vec4f, w3: vec4f) -> vec4f {
  return a.x * w0 + a.y * w1 + a.z * w2 + a.w * w3;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let p0 = gid.x * 8u;
  if (p0 >= params.pixels) {
    return;
  }
  let kq = params.in_channels / 4u;
  let nq = params.out_channels / 4u;
  let qa = gid.y * 2u;
  let two = qa + 1u < nq;
  let qb = min(qa + 1u, nq - 1u);
  // Pixels past the end read the last one (their results are not written).
  let last = params.pixels - 1u;
  let x0 = min(p0, last) * kq; let x1 = min(p0 + 1u, last) * kq;
  let x2 = min(p0 + 2u, last) * kq; let x3 = min(p0 + 3u, last) * kq;
  let x4 = min(p0 + 4u, last) * kq; let x5 = min(p0 + 5u, last) * kq;
  let x6 = min(p0 + 6u, last) * kq; let x7 = min(p0 + 7u, last) * kq;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var a4 = vec4f(0.0); var a5 = vec4f(0.0); var a6 = vec4f(0.0); var a7 = vec4f(0.0);
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0);
  var b4 = vec4f(0.0); var b5 = vec4f(0.0); var b6 = vec4f(0.0); var b7 = vec4f(0.0);
  for (var k = 0u; k < kq; k++) {
    let f = k * 4u * nq;
    let w0 = weights[f + qa]; let w1 = weights[f + nq + qa];
    let w2 = weights[f + 2u * nq + qa]; let w3 = weights[f + 3u * nq + qa];
    let v0 = weights[f + qb]; let v1 = weights[f + nq + qb];
    let v2 = weights[f + 2u * nq + qb]; let v3 = weights[f + 3u * nq + qb];
    var i = x[x0 + k]; a0 += mac(i, w0, w1, w2, w3); b0 += mac(i, v0, v1, v2, v3);
    i = x[x1 + k]; a1 += mac(i, w0, w1, w2, w3); b1 += mac(i, v0, v1, v2, v3);
    i = x[x2 + k]; a2 += mac(i, w0, w1, w2, w3); b2 += mac(i, v0, v1, v2, v3);
    i = x[x3 + k]; a3 += mac(i, w0, w1, w2, w3); b3 += mac(i, v0, v1, v2, v3);
    i = x[x4 + k]; a4 += mac(i, w0, w1, w2, w3); b4 += mac(i, v0, v1, v2, v3);
    i = x[x5 + k]; a5 += mac(i, w0, w1, w2, w3); b5 += mac(i, v0, v1, v2, v3);
    i = x[x6 + k]; a6 += mac(i, w0, w1, w2, w3); b6 += mac(i, v0, v1, v2, v3);
    i = x[x7 + k]; a7 += mac(i, w0, w1, w2, w3); b7 += mac(i, v0, v1, v2, v3);
  }
  var ba = vec4f(0.0);
  var bb = vec4f(0.0);
  if (HAS_BIAS) {
    ba = bias[qa];
    bb = bias[qb];
  }
  let n = min(8u, params.pixels - p0);
  let o = p0 * nq;
  store(o + qa, activate4(a0 + ba));
  if (two) { store(o + qb, activate4(b0 + bb)); }
  if (n > 1u) { store(o + nq + qa, activate4(a1 + ba)); if (two) { store(o + nq + qb, activate4(b1 + bb)); } }
  if (n > 2u) { store(o + 2u * nq + qa, activate4(a2 + ba)); if (two) { store(o + 2u * nq + qb, activate4(b2 + bb)); } }
  if (n > 3u) { store(o + 3u * nq + qa, activate4(a3 + ba)); if (two) { store(o + 3u * nq + qb, activate4(b3 + bb)); } }
  if (n > 4u) { store(o + 4u * nq + qa, activate4(a4 + ba)); if (two) { store(o + 4u * nq + qb, activate4(b4 + bb)); } }
  if (n > 5u) { store(o + 5u * nq + qa, activate4(a5 + ba)); if (two) { store(o + 5u * nq + qb, activate4(b5 + bb)); } }
  if (n > 6u) { store(o + 6u * nq + qa, activate4(a6 + ba)); if (two) { store(o + 6u * nq + qb, activate4(b6 + bb)); } }
  if (n > 7u) { store(o + 7u * nq + qa, activate4(a7 + ba)); if (two) { store(o + 7u * nq + qb, activate4(b7 + bb)); } }
}
