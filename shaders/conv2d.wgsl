// conv2d (TF cross-correlation), NHWC input, HWIO filter, zero padding, optional bias and
// fused activation. One invocation per output element; the output channel varies fastest so
// neighbouring invocations read neighbouring filter words and write neighbouring outputs.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
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
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;
// 0: linear, 1: relu.
override ACTIVATION: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let co = g % params.out_channels;
  let pixel = g / params.out_channels;
  let ow = pixel % params.out_width;
  let oh = (pixel / params.out_width) % params.out_height;
  let n = pixel / (params.out_width * params.out_height);

  let cin = params.in_channels;
  let cout = params.out_channels;
  // Signed: the first window row/column may start inside the padding.
  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow * params.stride_width) - i32(params.pad_left);
  var sum = 0.0;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let ih = h0 + i32(kh * params.dilation_height);
    if (ih < 0 || ih >= i32(params.in_height)) {
      continue;
    }
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let iw = w0 + i32(kw * params.dilation_width);
      if (iw < 0 || iw >= i32(params.in_width)) {
        continue;
      }
      let x_base = ((n * params.in_height + u32(ih)) * params.in_width + u32(iw)) * cin - params.in_shift;
      let f_base = (kh * params.kernel_width + kw) * cin * cout + co;
      for (var ci = 0u; ci < cin; ci++) {
        sum += x[x_base + ci] * weights[f_base + ci * cout];
      }
    }
  }
  if (HAS_BIAS) {
    sum += bias[co];
  }
  if (ACTIVATION == 1u) {
    sum = select(select(0.0, sum, sum > 0.0), sum, is_nan(sum));
  }
  out[g - params.out_shift] = sum;
}
