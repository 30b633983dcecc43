// conv2d (TF cross-correlation), NHWC input with HWIO filters or NCHW with OIHW, zero padding,
// optional bias and fused activation; grouped (depthwise when groups = in_channels): output channel
// co of group co / (out_channels / groups) reads only that group's in_channels / groups input
// channels, and the filter's input-channel axis holds those only. One invocation per output
// element, in output memory order, so neighbouring invocations write neighbouring outputs.

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
  groups: u32,
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;
// 0: NHWC input and output with HWIO filters; 1: NCHW with OIHW filters.
override LAYOUT: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let cin = params.in_channels;
  let cout = params.out_channels;
  // Input channels per group (the filter's input-channel axis), and this output channel's group.
  let cin_g = cin / params.groups;
  // The invocation order follows the output's memory order: channel fastest for NHWC, column
  // fastest for NCHW.
  var co: u32;
  var ow: u32;
  var oh: u32;
  var n: u32;
  if (LAYOUT == 0u) {
    co = g % cout;
    let pixel = g / cout;
    ow = pixel % params.out_width;
    oh = (pixel / params.out_width) % params.out_height;
    n = pixel / (params.out_width * params.out_height);
  } else {
    ow = g % params.out_width;
    oh = (g / params.out_width) % params.out_height;
    co = (g / (params.out_width * params.out_height)) % cout;
    n = g / (params.out_width * params.out_height * cout);
  }
  // Steps between consecutive input channels and filter input channels, per layout.
  let plane = params.in_height * params.in_width;
  let x_ci_step = select(plane, 1u, LAYOUT == 0u);
  let f_ci_step = select(params.kernel_height * params.kernel_width, cout, LAYOUT == 0u);
  let group = co / (cout / params.groups);
  let x_group = group * cin_g * x_ci_step;
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
      var x_base: u32;
      var f_base: u32;
      if (LAYOUT == 0u) {
        x_base = ((n * params.in_height + u32(ih)) * params.in_width + u32(iw)) * cin + x_group - params.in_shift;
        f_base = (kh * params.kernel_width + kw) * cin_g * cout + co;  // HWIO
      } else {
        x_base = n * cin * plane + u32(ih) * params.in_width + u32(iw) + x_group - params.in_shift;
        f_base = (co * cin_g * params.kernel_height + kh) * params.kernel_width + kw;  // OIHW
      }
      for (var ci = 0u; ci < cin_g; ci++) {
        sum += x[x_base + ci * x_ci_step] * weights[f_base + ci * f_ci_step];
      }
    }
  }
  if (HAS_BIAS) {
    sum += bias[co];
  }
  sum = activate(sum);
  out[g - params.out_shift] = sum;
}
