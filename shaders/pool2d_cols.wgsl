// pool2d_cols: max or average pooling of single-channel planes: NCHW (each (n, c) plane is
// contiguous, so the tensor is NHWC [N * C, H, W, 1]) or NHWC with C = 1. Four neighbouring
// output columns per invocation, pooled as one vec4: neighbouring invocations read neighbouring
// columns of the same input rows (coalesced), and the work of finding the output is shared by
// four outputs instead of spent on each. The grid is rows of the output: x covers one row's column
// quads, y (folded into z past the limit) counts rows (plane, oh). Taps are branch-free: indices
// are clamped, and cells outside the input are masked (averages) or replaced by a real cell of
// the same window (max: a repeated cell cannot change it).
// (WINDOW, as in pool2d_vec4: square windows of 2 or 3 have their taps spelled out, since CPU
// implementations such as SwiftShader pay for every loop trip; other windows loop.)

struct Params {
  total: u32,      // invocations per row: ceil(out_width / 4)
  row_pitch: u32,  // rows in this dispatch
  out_start: u32,  // first output element of this chunk (a whole row)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  in_height: u32,
  in_width: u32,
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
  pad_bottom: u32,
  pad_right: u32,
  // Bits of -inf, from the host: a WGSL constant expression may not evaluate to an infinity.
  neg_inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
// true: max pooling (NaN wins); false: average of the real cells.
override POOL_MAX: bool;
override COUNT_INCLUDE_PAD: bool;
// 2 or 3: the window is that square (taps unrolled); 0: any window, looped.
override WINDOW: u32;
// Every window lies inside the input (no padding reaches a tap): no clamps or masks.
override INSIDE: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

/** Four windows' running max (with the largest magnitude seen, so a NaN wins) or sum and count. */
struct Acc {
  v: vec4f,
  worst: vec4u,
  count: vec4u,
}

/** Where the four windows start along the width, and each one's first real column. */
struct Cols {
  w0: vec4i,
  first: vec4i,
}

/** Of windows starting at p0 (dilation d), the first tap inside the axis (0 and up). */
fn first_real(p0: vec4i, d: u32) -> vec4i {
  let di = i32(d);
  if (WINDOW == 0u) {
    return p0 + di * ((max(-p0, vec4i(0)) + vec4i(di - 1)) / vec4i(di));
  }
  // Counted, not divided: past the taps before the edge, at most WINDOW of them.
  var skip = select(vec4i(0), vec4i(1), p0 < vec4i(0)) + select(vec4i(0), vec4i(1), p0 + vec4i(di) < vec4i(0));
  if (WINDOW == 3u) {
    skip += select(vec4i(0), vec4i(1), p0 + vec4i(2 * di) < vec4i(0));
  }
  return p0 + skip * di;
}

/** Pools tap column kw of one window row (input row offset `base`, real / counted as given). */
fn take(a: ptr<function, Acc>, cols: Cols, base: u32, row_real: bool, row_counts: bool, kw: u32) {
  let w = params.in_width;
  let p = cols.w0 + vec4i(i32(kw * params.dilation_width));
  var real = (p >= vec4i(0)) & (p < vec4i(i32(w)));
  var cell = vec4u(clamp(select(cols.first, p, real), vec4i(0), vec4i(i32(w) - 1))) + base;
  if (INSIDE) {
    // No tap is padding; the min only guards columns past the row's end, which are not stored.
    real = vec4<bool>(true);
    cell = min(vec4u(p), vec4u(w - 1u)) + base;
  }
  let v = vec4f(x[cell.x], x[cell.y], x[cell.z], x[cell.w]);
  if (POOL_MAX) {
    (*a).v = max((*a).v, v);
    (*a).worst = max((*a).worst, bitcast<vec4u>(v) & vec4u(0x7fffffffu));
  } else {
    let inside = real & vec4<bool>(row_real);
    (*a).v += select(vec4f(0.0), v, inside);
    let padded = (p >= vec4i(-i32(params.pad_left))) & (p < vec4i(i32(w + params.pad_right))) & vec4<bool>(row_counts);
    (*a).count += select(vec4u(0u), vec4u(1u), select(inside, padded, COUNT_INCLUDE_PAD));
  }
}

/** Pools window row kh of the four windows (rows from h0, image rows from `image`). */
fn take_row(a: ptr<function, Acc>, cols: Cols, image: u32, h0: i32, first_row: i32, kh: u32) {
  let h = i32(params.in_height);
  let ih = h0 + i32(kh * params.dilation_height);
  let real = ih >= 0 && ih < h;
  let counts = ih >= -i32(params.pad_top) && ih < h + i32(params.pad_bottom);
  var base = (image + u32(clamp(select(first_row, ih, real), 0, h - 1))) * params.in_width - params.in_shift;
  if (INSIDE) {
    base = (image + u32(ih)) * params.in_width - params.in_shift;
  }
  if (WINDOW == 2u || WINDOW == 3u) {
    take(a, cols, base, real, counts, 0u);
    take(a, cols, base, real, counts, 1u);
    if (WINDOW == 3u) {
      take(a, cols, base, real, counts, 2u);
    }
  } else {
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      take(a, cols, base, real, counts, kw);
    }
  }
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
  let row = params.out_start / params.out_width + r;
  let plane = row / params.out_height;
  let oh = row - plane * params.out_height;
  let ow0 = col * 4u;
  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = vec4i(vec4u(ow0) + vec4u(0u, 1u, 2u, 3u)) * i32(params.stride_width) - vec4i(i32(params.pad_left));
  let cols = Cols(w0, first_real(w0, params.dilation_width));
  let first_row = first_real(vec4i(h0), params.dilation_height).x;
  let image = plane * params.in_height;
  var a = Acc(select(vec4f(0.0), vec4f(bitcast<f32>(params.neg_inf_bits)), POOL_MAX), vec4u(0u), vec4u(0u));
  if (WINDOW == 2u || WINDOW == 3u) {
    take_row(&a, cols, image, h0, first_row, 0u);
    take_row(&a, cols, image, h0, first_row, 1u);
    if (WINDOW == 3u) {
      take_row(&a, cols, image, h0, first_row, 2u);
    }
  } else {
    for (var kh = 0u; kh < params.kernel_height; kh++) {
      take_row(&a, cols, image, h0, first_row, kh);
    }
  }
  var result: vec4f;
  if (POOL_MAX) {
    result = select(a.v, vec4f(bitcast<f32>(params.neg_inf_bits | 0x00400000u)), a.worst > vec4u(0x7f800000u));
  } else {
    result = a.v / vec4f(a.count);
  }
  // Columns past the row's end were pooled from clamped cells and are not stored.
  let at = row * params.out_width + ow0 - params.out_shift;
  out[at] = result.x;
  if (ow0 + 1u < params.out_width) {
    out[at + 1u] = result.y;
  }
  if (ow0 + 2u < params.out_width) {
    out[at + 2u] = result.z;
  }
  if (ow0 + 3u < params.out_width) {
    out[at + 3u] = result.w;
  }
}
