// depthwise_conv2d_nchw: NCHW depthwise convolution (groups = in_channels = out_channels, OIHW
// filter [C, 1, KH, KW]), as channels-first ONNX exports write MobileNets. Each invocation computes
// 4 neighbouring output columns of one output row of one channel plane, so the windows' overlap is
// loaded once: one row of a 3-wide window at stride 1 loads 6 input values for 12 multiply-adds (9
// at stride 2), where an invocation per output loads 3 for 3. The grid is rows of the output
// planes, like pool2d_cols: x covers one row's column quads, y (folded into z past the limit) counts
// rows (n, c, oh). TAPS3 (3-wide windows without dilation at stride 1 or 2) spells the taps out.

struct Params {
  total: u32,      // invocations per output row: ceil(out_width / 4)
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

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

/** The input at column `col` of the row starting at `row_at`; zero in the padding. */
fn tap(row_at: u32, col: i32) -> f32 {
  let inside = col >= 0 && col < i32(params.in_width);
  return select(0.0, x[row_at + u32(clamp(col, 0, i32(params.in_width) - 1))], inside);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  // Rows packed into workgroups (one flat index; a grid row is groups.x workgroups): a row of a
  // narrow map is a few invocations, and one row per workgroup row would leave most lanes idle.
  let flat = gid.x + (gid.y + gid.z * groups.y) * groups.x * WORKGROUP_SIZE;
  let r = flat / params.total;
  let col = flat % params.total;
  if (r >= params.row_pitch) {
    return;
  }
  let ow0 = col * 4u;
  let row = params.out_start / params.out_width + r;
  let plane = row / params.out_height;  // n * C + c
  let oh = row % params.out_height;
  let c = plane % params.channels;
  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow0 * params.stride_width) - i32(params.pad_left);
  var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let ih = h0 + i32(kh * params.dilation_height);
    if (ih < 0 || ih >= i32(params.in_height)) {
      continue;
    }
    let row_at = (plane * params.in_height + u32(ih)) * params.in_width - params.in_shift;
    let f = (c * params.kernel_height + kh) * params.kernel_width;
    if (TAPS3) {
      let f0 = weights[f];
      let f1 = weights[f + 1u];
      let f2 = weights[f + 2u];
      let v0 = tap(row_at, w0);
      let v1 = tap(row_at, w0 + 1);
      let v2 = tap(row_at, w0 + 2);
      let v3 = tap(row_at, w0 + 3);
      let v4 = tap(row_at, w0 + 4);
      let v5 = tap(row_at, w0 + 5);
      if (STRIDE == 1u) {
        a0 += v0 * f0 + v1 * f1 + v2 * f2;
        a1 += v1 * f0 + v2 * f1 + v3 * f2;
        a2 += v2 * f0 + v3 * f1 + v4 * f2;
        a3 += v3 * f0 + v4 * f1 + v5 * f2;
      } else {
        let v6 = tap(row_at, w0 + 6);
        let v7 = tap(row_at, w0 + 7);
        let v8 = tap(row_at, w0 + 8);
        a0 += v0 * f0 + v1 * f1 + v2 * f2;
        a1 += v2 * f0 + v3 * f1 + v4 * f2;
        a2 += v4 * f0 + v5 * f1 + v6 * f2;
        a3 += v6 * f0 + v7 * f1 + v8 * f2;
      }
    } else {
      let sw = i32(params.stride_width);
      for (var kw = 0u; kw < params.kernel_width; kw++) {
        let w = weights[f + kw];
        let col = w0 + i32(kw * params.dilation_width);
        a0 += tap(row_at, col) * w;
        a1 += tap(row_at, col + sw) * w;
        a2 += tap(row_at, col + 2 * sw) * w;
        a3 += tap(row_at, col + 3 * sw) * w;
      }
    }
  }
  var b = 0.0;
  if (HAS_BIAS) {
    b = bias[c];
  }
  let at = row * params.out_width + ow0 - params.out_shift;
  out[at] = activate(a0 + b);
  if (ow0 + 1u < params.out_width) { out[at + 1u] = activate(a1 + b); }
  if (ow0 + 2u < params.out_width) { out[at + 2u] = activate(a2 + b); }
  if (ow0 + 3u < params.out_width) { out[at + 3u] = activate(a3 + b); }
}
