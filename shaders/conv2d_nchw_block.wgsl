// conv2d_nchw_block: NCHW convolution with OIHW filters and groups = 1, any window, stride,
// dilation and padding (the full 3x3 convs, the RGB stem and the 1x1s whose pixel count or
// channels the pointwise kernel does not take, in channels-first ONNX exports such as PP-OCR's
// detector). Each invocation computes 4 output channels x 8 neighbouring output columns of one
// output row (8 vec4 accumulators, a0..a3 for columns 0-3 and b0..b3 for columns 4-7, one per
// channel): every input tap it loads feeds 4 channels and every filter word 8 columns, and the
// columns' windows overlap, so a 3-wide window row at stride 1 loads 10 inputs and 12 filter
// words for 96 multiply-adds (stride 2: 17 inputs), where the one-invocation-per-output conv2d
// loads 2 words per multiply-add. TAPS3 (3-wide windows without dilation, stride 1 or 2) spells
// the taps out: SwiftShader keeps loop-indexed arrays in memory, so nothing here is an array.
//
// The grid: x over (output row, column block) of one image, y over output channel quads, z over
// images. All invocations of a workgroup share their channel quad, so they read the same filter
// words at the same time (one broadcast read on discrete GPUs; on CPU adapters such as SwiftShader
// the words stay in cache), and neighbouring invocations take neighbouring column blocks of a row,
// so a workgroup's input reads cover contiguous runs of each input row (coalesced on GPUs). No
// shared memory or barriers: CPU adapters charge a coroutine switch per barrier.

struct Params {
  total: u32,      // (unused: the grid is sized by the host)
  row_pitch: u32,  // (unused)
  out_start: u32,  // (0: this kernel runs unsplit)
  in_shift: u32,
  out_shift: u32,
  in_height: u32,
  in_width: u32,
  in_channels: u32,
  out_height: u32,
  out_width: u32,
  out_channels: u32,
  kernel_height: u32,
  kernel_width: u32,
  stride_height: u32,
  stride_width: u32,
  dilation_height: u32,
  dilation_width: u32,
  pad_top: u32,
  pad_left: u32,
  col_blocks: u32,  // ceil(out_width / 8)
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;
override TAPS3: bool;
// The column stride when TAPS3: 1 or 2.
override STRIDE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

/** The input at column `col` of the row starting at `row_at`; zero in the padding (the read is clamped, never masked out). */
fn tap(row_at: u32, col: i32) -> f32 {
  let inside = col >= 0 && col < i32(params.in_width);
  return select(0.0, x[row_at + u32(clamp(col, 0, i32(params.in_width) - 1))], inside);
}

/** Writes one channel's 8 columns (`left`: the columns from the first to the row's end). */
fn store(c: u32, at: u32, left: u32, lo: vec4f, hi: vec4f, b: f32) {
  if (c >= params.out_channels) {
    return;
  }
  let p = activate4(lo + b);
  let q = activate4(hi + b);
  out[at] = p.x;
  if (left > 1u) { out[at + 1u] = p.y; }
  if (left > 2u) { out[at + 2u] = p.z; }
  if (left > 3u) { out[at + 3u] = p.w; }
  if (left > 4u) { out[at + 4u] = q.x; }
  if (left > 5u) { out[at + 5u] = q.y; }
  if (left > 6u) { out[at + 6u] = q.z; }
  if (left > 7u) { out[at + 7u] = q.w; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= params.out_height * params.col_blocks) {
    return;
  }
  let oh = gid.x / params.col_blocks;
  let ow0 = (gid.x % params.col_blocks) * 8u;
  let n = gid.z;
  let c0 = gid.y * 4u;
  let cin = params.in_channels;
  let cout = params.out_channels;
  let taps = params.kernel_height * params.kernel_width;
  // Channels past Cout read the last filter (their results are not written).
  let r0 = c0 * cin * taps;
  let r1 = min(c0 + 1u, cout - 1u) * cin * taps;
  let r2 = min(c0 + 2u, cout - 1u) * cin * taps;
  let r3 = min(c0 + 3u, cout - 1u) * cin * taps;
  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow0 * params.stride_width) - i32(params.pad_left);
  let plane = params.in_height * params.in_width;
  let x_image = n * cin * plane - params.in_shift;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0);
  for (var ci = 0u; ci < cin; ci++) {
    for (var kh = 0u; kh < params.kernel_height; kh++) {
      let ih = h0 + i32(kh * params.dilation_height);
      if (ih < 0 || ih >= i32(params.in_height)) {
        continue;
      }
      let row_at = x_image + ci * plane + u32(ih) * params.in_width;
      let f = (ci * params.kernel_height + kh) * params.kernel_width;
      if (TAPS3) {
        let f00 = weights[r0 + f]; let f01 = weights[r0 + f + 1u]; let f02 = weights[r0 + f + 2u];
        let f10 = weights[r1 + f]; let f11 = weights[r1 + f + 1u]; let f12 = weights[r1 + f + 2u];
        let f20 = weights[r2 + f]; let f21 = weights[r2 + f + 1u]; let f22 = weights[r2 + f + 2u];
        let f30 = weights[r3 + f]; let f31 = weights[r3 + f + 1u]; let f32w = weights[r3 + f + 2u];
        // p_k / q_k: the inputs tap k of the window sees, for columns 0-3 / 4-7.
        var p0: vec4f; var p1: vec4f; var p2: vec4f;
        var q0: vec4f; var q1: vec4f; var q2: vec4f;
        if (STRIDE == 1u) {
          let v0 = tap(row_at, w0); let v1 = tap(row_at, w0 + 1); let v2 = tap(row_at, w0 + 2);
          let v3 = tap(row_at, w0 + 3); let v4 = tap(row_at, w0 + 4); let v5 = tap(row_at, w0 + 5);
          let v6 = tap(row_at, w0 + 6); let v7 = tap(row_at, w0 + 7); let v8 = tap(row_at, w0 + 8);
          let v9 = tap(row_at, w0 + 9);
          p0 = vec4f(v0, v1, v2, v3); p1 = vec4f(v1, v2, v3, v4); p2 = vec4f(v2, v3, v4, v5);
          q0 = vec4f(v4, v5, v6, v7); q1 = vec4f(v5, v6, v7, v8); q2 = vec4f(v6, v7, v8, v9);
        } else {
          let v0 = tap(row_at, w0); let v1 = tap(row_at, w0 + 1); let v2 = tap(row_at, w0 + 2);
          let v3 = tap(row_at, w0 + 3); let v4 = tap(row_at, w0 + 4); let v5 = tap(row_at, w0 + 5);
          let v6 = tap(row_at, w0 + 6); let v7 = tap(row_at, w0 + 7); let v8 = tap(row_at, w0 + 8);
          let v9 = tap(row_at, w0 + 9); let v10 = tap(row_at, w0 + 10); let v11 = tap(row_at, w0 + 11);
          let v12 = tap(row_at, w0 + 12); let v13 = tap(row_at, w0 + 13); let v14 = tap(row_at, w0 + 14);
          let v15 = tap(row_at, w0 + 15); let v16 = tap(row_at, w0 + 16);
          p0 = vec4f(v0, v2, v4, v6); p1 = vec4f(v1, v3, v5, v7); p2 = vec4f(v2, v4, v6, v8);
          q0 = vec4f(v8, v10, v12, v14); q1 = vec4f(v9, v11, v13, v15); q2 = vec4f(v10, v12, v14, v16);
        }
        a0 += p0 * f00 + p1 * f01 + p2 * f02; b0 += q0 * f00 + q1 * f01 + q2 * f02;
        a1 += p0 * f10 + p1 * f11 + p2 * f12; b1 += q0 * f10 + q1 * f11 + q2 * f12;
        a2 += p0 * f20 + p1 * f21 + p2 * f22; b2 += q0 * f20 + q1 * f21 + q2 * f22;
        a3 += p0 * f30 + p1 * f31 + p2 * f32w; b3 += q0 * f30 + q1 * f31 + q2 * f32w;
      } else {
        let sw = i32(params.stride_width);
        for (var kw = 0u; kw < params.kernel_width; kw++) {
          let col = w0 + i32(kw * params.dilation_width);
          let p = vec4f(tap(row_at, col), tap(row_at, col + sw), tap(row_at, col + 2 * sw), tap(row_at, col + 3 * sw));
          let q = vec4f(tap(row_at, col + 4 * sw), tap(row_at, col + 5 * sw), tap(row_at, col + 6 * sw), tap(row_at, col + 7 * sw));
          let g0 = weights[r0 + f + kw]; let g1 = weights[r1 + f + kw];
          let g2 = weights[r2 + f + kw]; let g3 = weights[r3 + f + kw];
          a0 += p * g0; b0 += q * g0;
          a1 += p * g1; b1 += q * g1;
          a2 += p * g2; b2 += q * g2;
          a3 += p * g3; b3 += q * g3;
        }
      }
    }
  }
  var bv = vec4f(0.0);
  if (HAS_BIAS) {
    bv = vec4f(bias[c0], bias[min(c0 + 1u, cout - 1u)], bias[min(c0 + 2u, cout - 1u)], bias[min(c0 + 3u, cout - 1u)]);
  }
  let ohw = params.out_height * params.out_width;
  let at = ((n * cout + c0) * params.out_height + oh) * params.out_width + ow0 - params.out_shift;
  let left = params.out_width - ow0;
  store(c0, at, left, a0, b0, bv.x);
  store(c0 + 1u, at + ohw, left, a1, b1, bv.y);
  store(c0 + 2u, at + 2u * ohw, left, a2, b2, bv.z);
  store(c0 + 3u, at + 3u * ohw, left, a3, b3, bv.w);
}
