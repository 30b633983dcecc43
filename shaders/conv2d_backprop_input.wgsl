// conv2d_backprop_input: the gradient of conv2d (conv2d.wgsl) with respect to its input, a
// transposed convolution, in gather form: one invocation per dx element sums
// dy[n, oh, ow, co] * filter[kh, kw, ci, co] over the output positions whose window covers it
// (oh * stride - pad + kh * dilation = ih, likewise for columns) and over the output channels of
// its group (groups = in_channels: depthwise). NHWC with HWIO filters or NCHW with OIHW, as the
// forward; shapes are the forward's (in_*: x and dx, out_*: dy).
//
// Why gather rather than scatter (each dy element adding its products into the dx cells of its
// window): every dx element is written once, by one invocation, so nothing races. WGSL has no
// float atomics, so a scatter would need a compare-exchange loop per add (slow under contention,
// and its sum order, hence its rounding, would vary from run to run) or one pass per tap, plus a
// zero fill. The gather's price is the divisibility test per tap: with stride s only 1 in s of the
// taps along each axis lands on an output position, and the rest are skipped at once.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first dx element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound dy range
  out_shift: u32,  // elements before the bound dx range
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
// 0: NHWC dy and dx with HWIO filters; 1: NCHW with OIHW filters.
override LAYOUT: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let cin = params.in_channels;
  let cout = params.out_channels;
  // dx follows its own memory order: channel fastest for NHWC, column fastest for NCHW.
  var ci: u32;
  var iw: u32;
  var ih: u32;
  var n: u32;
  if (LAYOUT == 0u) {
    ci = g % cin;
    let pixel = g / cin;
    iw = pixel % params.in_width;
    ih = (pixel / params.in_width) % params.in_height;
    n = pixel / (params.in_width * params.in_height);
  } else {
    iw = g % params.in_width;
    ih = (g / params.in_width) % params.in_height;
    ci = (g / (params.in_width * params.in_height)) % cin;
    n = g / (params.in_width * params.in_height * cin);
  }
  let cin_g = cin / params.groups;
  let cout_g = cout / params.groups;
  let ci_g = ci % cin_g;
  // The output channels that read input channel ci: those of its group.
  let co0 = (ci / cin_g) * cout_g;
  let plane = params.out_height * params.out_width;
  // Steps between consecutive output channels in dy and in the filter, per layout.
  let dy_step = select(plane, 1u, LAYOUT == 0u);
  let f_step = select(cin_g * params.kernel_height * params.kernel_width, 1u, LAYOUT == 0u);
  var sum = 0.0;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    // oh * stride_height = ih + pad_top - kh * dilation_height, when that is a whole output row.
    let th = i32(ih + params.pad_top) - i32(kh * params.dilation_height);
    if (th < 0) {
      break;  // later taps sit further down the window: their rows are above the output too
    }
    if (u32(th) % params.stride_height != 0u) {
      continue;
    }
    let oh = u32(th) / params.stride_height;
    if (oh >= params.out_height) {
      continue;
    }
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let tw = i32(iw + params.pad_left) - i32(kw * params.dilation_width);
      if (tw < 0) {
        break;
      }
      if (u32(tw) % params.stride_width != 0u) {
        continue;
      }
      let ow = u32(tw) / params.stride_width;
      if (ow >= params.out_width) {
        continue;
      }
      var dy_base: u32;
      var f_base: u32;
      if (LAYOUT == 0u) {
        dy_base = ((n * params.out_height + oh) * params.out_width + ow) * cout + co0 - params.in_shift;
        f_base = ((kh * params.kernel_width + kw) * cin_g + ci_g) * cout + co0;  // HWIO
      } else {
        dy_base = (n * cout + co0) * plane + oh * params.out_width + ow - params.in_shift;
        f_base = ((co0 * cin_g + ci_g) * params.kernel_height + kh) * params.kernel_width + kw;  // OIHW
      }
      for (var j = 0u; j < cout_g; j++) {
        sum += dy[dy_base + j * dy_step] * weights[f_base + j * f_step];
      }
    }
  }
  dx[g - params.out_shift] = sum;
}
