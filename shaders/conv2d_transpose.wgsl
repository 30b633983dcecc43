// conv2d_transpose (TF conv2d_transpose, ONNX ConvTranspose) in gather form: output (oh, ow) of
// channel co sums, over the filter taps (kh, kw), the input position (ih, iw) with
// ih * stride = oh + pad_top - kh * dilation (likewise for the width), when that is a whole
// position inside the input, times the filter, over the input channels of co's group. NHWC input
// and output with [KH, KW, Cout/groups, Cin] filters, or NCHW with [Cin, Cout/groups, KH, KW]
// (ONNX's); optional bias and fused activation. One invocation per output element, in output
// memory order.

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
// 0: NHWC with [KH, KW, Cout/groups, Cin] filters; 1: NCHW with [Cin, Cout/groups, KH, KW].
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
  let cin_g = cin / params.groups;
  let cout_g = cout / params.groups;
  let group = co / cout_g;
  let col = co % cout_g;
  let first = group * cin_g;
  let plane = params.in_height * params.in_width;
  let kk = params.kernel_height * params.kernel_width;
  // Steps between consecutive input channels of x and of the filter, per layout.
  let x_ci_step = select(plane, 1u, LAYOUT == 0u);
  let f_ci_step = select(cout_g * kk, 1u, LAYOUT == 0u);
  let top = i32(oh + params.pad_top);
  let left = i32(ow + params.pad_left);
  let sh = i32(params.stride_height);
  let sw = i32(params.stride_width);
  var sum = 0.0;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let th = top - i32(kh * params.dilation_height);
    if (th < 0 || th % sh != 0) {
      continue;
    }
    let ih = u32(th / sh);
    if (ih >= params.in_height) {
      continue;
    }
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let tw = left - i32(kw * params.dilation_width);
      if (tw < 0 || tw % sw != 0) {
        continue;
      }
      let iw = u32(tw / sw);
      if (iw >= params.in_width) {
        continue;
      }
      var x_base: u32;
      var f_base: u32;
      if (LAYOUT == 0u) {
        x_base = ((n * params.in_height + ih) * params.in_width + iw) * cin + first - params.in_shift;
        f_base = ((kh * params.kernel_width + kw) * cout_g + col) * cin + first;  // [KH, KW, Cout/g, Cin]
      } else {
        x_base = (n * cin + first) * plane + ih * params.in_width + iw - params.in_shift;
        f_base = (first * cout_g + col) * kk + kh * params.kernel_width + kw;  // [Cin, Cout/g, KH, KW]
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
