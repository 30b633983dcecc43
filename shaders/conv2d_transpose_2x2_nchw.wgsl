// conv2d_transpose_2x2_nchw: NCHW transposed convolution with a 2x2 window at stride 2, groups 1,
// no padding (the 2x upsampling of segmentation and text-detection heads: PP-OCR's DB head, U-Nets).
// The windows do not overlap, so each input pixel (ih, iw) alone makes the output's 2x2 cell
// (2ih + kh, 2iw + kw) = sum over ci of x[ci, ih, iw] * W[ci, co, kh, kw]. ONNX's filter layout
// [Cin, Cout, 2, 2] puts one channel's four taps in one vec4, so the gather kernel's strided
// search over every tap becomes plain multiply-adds.
// Each invocation takes 4 input pixels along a row (one vec4; W % 4 == 0) and 4 output channels:
// per input channel one input vec4 and four filter vec4s feed 16 vec4 multiply-adds, and it writes
// two output rows of 8 columns (two vec4s each) per channel. The grid's x runs over pixel quads, y
// over channel quads, z over images, so a workgroup reads the same filter words (a broadcast on
// GPUs; no shared memory or barriers, which CPU adapters such as SwiftShader charge dearly for).

struct Params {
  total: u32,      // (unused: the grid is sized by the host)
  row_pitch: u32,  // (unused)
  out_start: u32,  // (0: this kernel runs unsplit)
  in_shift: u32,
  out_shift: u32,
  in_height: u32,
  in_width: u32,   // a multiple of 4
  in_channels: u32,
  out_channels: u32,
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

/** Channel `c`'s two output rows of 8 columns: top-left, top-right, bottom-left, bottom-right vec4s. */
fn store(c: u32, n: u32, ih: u32, q: u32, tl: vec4f, tr: vec4f, bl: vec4f, br: vec4f) {
  var b = 0.0;
  if (HAS_BIAS) {
    b = bias[c];
  }
  // Output rows are 2W wide, W / 2 vec4s; input quad q covers output vec4s 2q and 2q + 1.
  let row_quads = params.in_width / 2u;
  let top = ((n * params.out_channels + c) * params.in_height * 2u + ih * 2u) * row_quads + q * 2u;
  out[top] = activate4(tl + b);
  out[top + 1u] = activate4(tr + b);
  out[top + row_quads] = activate4(bl + b);
  out[top + row_quads + 1u] = activate4(br + b);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let in_quads = params.in_width / 4u;
  let plane_quads = params.in_height * in_quads;
  if (gid.x >= plane_quads) {
    return;
  }
  let ih = gid.x / in_quads;
  let q = gid.x % in_quads;
  let cin = params.in_channels;
  let cout = params.out_channels;
  let n = gid.z;
  let c0 = gid.y * 4u;
  // Channels past Cout read the last channel's taps (their results are not written).
  let c1 = min(c0 + 1u, cout - 1u);
  let c2 = min(c0 + 2u, cout - 1u);
  let c3 = min(c0 + 3u, cout - 1u);
  let xb = n * cin * plane_quads + gid.x;
  var t0 = vec4f(0.0); var u0 = vec4f(0.0); var d0 = vec4f(0.0); var e0 = vec4f(0.0);
  var t1 = vec4f(0.0); var u1 = vec4f(0.0); var d1 = vec4f(0.0); var e1 = vec4f(0.0);
  var t2 = vec4f(0.0); var u2 = vec4f(0.0); var d2 = vec4f(0.0); var e2 = vec4f(0.0);
  var t3 = vec4f(0.0); var u3 = vec4f(0.0); var d3 = vec4f(0.0); var e3 = vec4f(0.0);
  for (var ci = 0u; ci < cin; ci++) {
    let v = x[xb + ci * plane_quads];
    // Each input pixel twice: its two output columns.
    let left = v.xxyy;
    let right = v.zzww;
    let f = ci * cout;
    // A channel's taps (kh, kw) = (0,0), (0,1), (1,0), (1,1): its top row is .xy, its bottom row .zw.
    let w0 = weights[f + c0]; let w1 = weights[f + c1];
    let w2 = weights[f + c2]; let w3 = weights[f + c3];
    t0 += left * w0.xyxy; u0 += right * w0.xyxy; d0 += left * w0.zwzw; e0 += right * w0.zwzw;
    t1 += left * w1.xyxy; u1 += right * w1.xyxy; d1 += left * w1.zwzw; e1 += right * w1.zwzw;
    t2 += left * w2.xyxy; u2 += right * w2.xyxy; d2 += left * w2.zwzw; e2 += right * w2.zwzw;
    t3 += left * w3.xyxy; u3 += right * w3.xyxy; d3 += left * w3.zwzw; e3 += right * w3.zwzw;
  }
  store(c0, n, ih, q, t0, u0, d0, e0);
  if (c0 + 1u < cout) { store(c0 + 1u, n, ih, q, t1, u1, d1, e1); }
  if (c0 + 2u < cout) { store(c0 + 2u, n, ih, q, t2, u2, d2, e2); }
  if (c0 + 3u < cout) { store(c0 + 3u, n, ih, q, t3, u3, d3, e3); }
}
