// conv2d_backprop_filter, pass 1 of 2: partial sums of the filter gradient. The gradient of
// filter element (kh, kw, ci, co) is the sum over every output position (n, oh, ow) of
// x[n, oh * sh - pt + kh * dh, ow * sw - pl + kw * dw, ci] * dy[n, oh, ow, co]: a reduction over
// N * OH * OW. That axis is cut into slices of `per_slice` consecutive positions, and one
// invocation sums one slice for one filter element, so no invocation loops over a whole batch or
// image, and a split op's chunk binds only the x and dy rows of its slices. Partial results lie
// [slice][filter element]; sum_slices.wgsl adds the slices up. Filter elements are numbered in
// the filter's memory order (HWIO: output channel fastest, so neighbouring invocations read the
// same x value and neighbouring dy values; OIHW for NCHW).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first partial result of this chunk: first slice * filter size
  in_shift: u32,   // elements before the bound x range
  out_shift: u32,  // elements before the bound range of partial results
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
  per_slice: u32,   // output positions per slice
  positions: u32,   // N * OH * OW
  dy_shift: u32,    // elements before the bound dy range
}

override WORKGROUP_SIZE: u32;
// 0: NHWC x and dy, HWIO filter; 1: NCHW, OIHW.
override LAYOUT: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
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
  let cin_g = cin / params.groups;
  let kk = params.kernel_height * params.kernel_width;
  let size = kk * cin_g * cout;
  let slice = g / size;
  let f = g % size;
  var co: u32;
  var ci_g: u32;
  var kh: u32;
  var kw: u32;
  if (LAYOUT == 0u) {
    co = f % cout;
    ci_g = (f / cout) % cin_g;
    kw = (f / (cout * cin_g)) % params.kernel_width;
    kh = f / (cout * cin_g * params.kernel_width);
  } else {
    kw = f % params.kernel_width;
    kh = (f / params.kernel_width) % params.kernel_height;
    ci_g = (f / kk) % cin_g;
    co = f / (kk * cin_g);
  }
  let ci = (co / (cout / params.groups)) * cin_g + ci_g;
  let p0 = slice * params.per_slice;
  let p1 = min(p0 + params.per_slice, params.positions);
  // Walk the slice's positions in order, carrying (n, oh, ow) instead of dividing each time.
  var ow = p0 % params.out_width;
  var oh = (p0 / params.out_width) % params.out_height;
  var n = p0 / (params.out_width * params.out_height);
  let row_off = kh * params.dilation_height;
  let col_off = kw * params.dilation_width;
  var sum = 0.0;
  for (var p = p0; p < p1; p++) {
    let ih = i32(oh * params.stride_height + row_off) - i32(params.pad_top);
    let iw = i32(ow * params.stride_width + col_off) - i32(params.pad_left);
    if (ih >= 0 && ih < i32(params.in_height) && iw >= 0 && iw < i32(params.in_width)) {
      var xi: u32;
      var di: u32;
      if (LAYOUT == 0u) {
        xi = ((n * params.in_height + u32(ih)) * params.in_width + u32(iw)) * cin + ci;
        di = p * cout + co;
      } else {
        xi = ((n * cin + ci) * params.in_height + u32(ih)) * params.in_width + u32(iw);
        di = ((n * cout + co) * params.out_height + oh) * params.out_width + ow;
      }
      sum += x[xi - params.in_shift] * dy[di - params.dy_shift];
    }
    ow++;
    if (ow == params.out_width) {
      ow = 0u;
      oh++;
      if (oh == params.out_height) {
        oh = 0u;
        n++;
      }
    }
  }
  partials[g - params.out_shift] = sum;
}
