// depthwise_conv2d: NHWC depthwise convolution (conv2d with groups = in_channels = out_channels,
// HWIO filter [KH, KW, 1, C]), C a multiple of 4. Each invocation computes 4 channels (one vec4)
// for 4 neighbouring output columns of one output row: every filter vec4 feeds 4 outputs, and
// neighbouring invocations read neighbouring channel quads (coalesced on GPUs). The grid is rows of
// the output, like pool2d_vec4: x covers one row's (column quad, channel quad) pairs, y (folded
// into z past the limit) counts rows (n, oh).
// TAPS3: 3-wide windows without dilation at stride 1 or 2 (MobileNet's) have their columns spelled
// out: the 4 outputs' windows overlap, so one row of taps loads 6 input vec4s at stride 1 (9 at
// stride 2) instead of 12. The rest loop over the window's columns. Spelling out pays on both kinds
// of adapter: GPUs keep the taps in registers, and SwiftShader (CPU) would otherwise run a loop body
// per tap at half speed.

struct Params {
  total: u32,      // invocations per output row: ceil(out_width / 4) * channels / 4
  row_pitch: u32,  // output rows in this dispatch
  out_start: u32,  // first output element of this chunk (a whole row)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  in_height: u32,
  in_width: u32,
  channels: u32,
  out_height: u32,
  out_width: u32,
  kernel_height: u32,
  kernel_width: u32,
  stride_height: u32,
  stride_width: u32,
  dilation_height: u32,
  dilation_width: u32,
  pad_top: u32,
  pad_left: u32,
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;
override TAPS3: bool;
// The column stride when TAPS3: 1 or 2.
override STRIDE: u32;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

/** The input quad at column `col` of the row starting at vec4 `row_at`; zero in the padding. */
fn tap(row_at: u32, col: i32, quads: u32) -> vec4f {
  let inside = col >= 0 && col < i32(params.in_width);
  let c = u32(clamp(col, 0, i32(params.in_width) - 1));
  return select(vec4f(0.0), x[row_at + c * quads], inside);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.y + gid.z * groups.y;
  if (gid.x >= params.total || r >= params.row_pitch) {
    return;
  }
  let quads = params.channels >> 2u;
  let q = gid.x % quads;
  let ow0 = (gid.x / quads) * 4u;
  let row = params.out_start / (params.out_width * params.channels) + r;
  let n = row / params.out_height;
  let oh = row % params.out_height;
  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow0 * params.stride_width) - i32(params.pad_left);
  let shift = params.in_shift >> 2u;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let ih = h0 + i32(kh * params.dilation_height);
    if (ih < 0 || ih >= i32(params.in_height)) {
      continue;
    }
    // vec4 index of this input row's channel quad q at column 0.
    let row_at = (n * params.in_height + u32(ih)) * params.in_width * quads + q - shift;
    let f_row = kh * params.kernel_width * quads + q;
    if (TAPS3) {
      let f0 = weights[f_row];
      let f1 = weights[f_row + quads];
      let f2 = weights[f_row + 2u * quads];
      let v0 = tap(row_at, w0, quads);
      let v1 = tap(row_at, w0 + 1, quads);
      let v2 = tap(row_at, w0 + 2, quads);
      let v3 = tap(row_at, w0 + 3, quads);
      let v4 = tap(row_at, w0 + 4, quads);
      let v5 = tap(row_at, w0 + 5, quads);
      if (STRIDE == 1u) {
        a0 += v0 * f0 + v1 * f1 + v2 * f2;
        a1 += v1 * f0 + v2 * f1 + v3 * f2;
        a2 += v2 * f0 + v3 * f1 + v4 * f2;
        a3 += v3 * f0 + v4 * f1 + v5 * f2;
      } else {
        let v6 = tap(row_at, w0 + 6, quads);
        let v7 = tap(row_at, w0 + 7, quads);
        let v8 = tap(row_at, w0 + 8, quads);
        a0 += v0 * f0 + v1 * f1 + v2 * f2;
        a1 += v2 * f0 + v3 * f1 + v4 * f2;
        a2 += v4 * f0 + v5 * f1 + v6 * f2;
        a3 += v6 * f0 + v7 * f1 + v8 * f2;
      }
    } else {
      let sw = i32(params.stride_width);
      for (var kw = 0u; kw < params.kernel_width; kw++) {
        let f = weights[f_row + kw * quads];
        let c = w0 + i32(kw * params.dilation_width);
        a0 += tap(row_at, c, quads) * f;
        a1 += tap(row_at, c + sw, quads) * f;
        a2 += tap(row_at, c + 2 * sw, quads) * f;
        a3 += tap(row_at, c + 3 * sw, quads) * f;
      }
    }
  }
  var b = vec4f(0.0);
  if (HAS_BIAS) {
    b = bias[q];
  }
  let at = (row * params.out_width + ow0) * quads + q - (params.out_shift >> 2u);
  out[at] = activate4(a0 + b);
  if (ow0 + 1u < params.out_width) {
    out[at + quads] = activate4(a1 + b);
  }
  if (ow0 + 2u < params.out_width) {
    out[at + 2u * quads] = activate4(a2 + b);
  }
  if (ow0 + 3u < params.out_width) {
    out[at + 3u * quads] = activate4(a3 + b);
  }
}
