// pool2d_vec4: max or average pooling over NHWC with C a multiple of 4: four channels per
// invocation through vec4 loads (coalesced: neighbouring invocations read neighbouring channels).
// The grid is rows of the output: x covers one output row's (column, channel quad) pairs, and
// y (folded into z past the limit) counts rows (n, oh), so each invocation divides only by the
// channel-quad count and the workgroup-uniform row. Taps are branch-free: indices are clamped and
// the cells outside the input are masked, so invocations of a subgroup never diverge.
// (A window size is a compile-time choice here, like a vector width: one pipeline per square
// size 2 or 3 and one for the rest, each serving every shape.)
// The generic max_pool2d / avg_pool2d kernels serve the other cases (indices, odd channels).

struct Params {
  total: u32,      // invocations per row: out_width * channels / 4
  row_pitch: u32,  // rows in this dispatch
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
// Output columns per invocation: 1 or 2.
override COLUMNS: u32;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

/** Where the window of one output starts, and what has been pooled so far. */
struct Window {
  h0: i32,
  w0: i32,
  in_base: i32,
  c4: u32,
  acc: vec4f,
  count: u32,
}

/** Pools tap (kh, kw) of the window into `win`: clamped load, masked outside the input. */
fn take(win: ptr<function, Window>, kh: u32, kw: u32) {
  let h_last = i32(params.in_height) - 1;
  let w_last = i32(params.in_width) - 1;
  let ih = (*win).h0 + i32(kh * params.dilation_height);
  let iw = (*win).w0 + i32(kw * params.dilation_width);
  let real = ih >= 0 && ih <= h_last && iw >= 0 && iw <= w_last;
  let at = (u32((*win).in_base + clamp(ih, 0, h_last)) * params.in_width + u32(clamp(iw, 0, w_last))) * (params.channels / 4u);
  let v = x[at + (*win).c4 - params.in_shift / 4u];
  if (POOL_MAX) {
    (*win).acc = select((*win).acc, v, vec4<bool>(real) & ((v > (*win).acc) | is_nan4(v)) & !is_nan4((*win).acc));
  } else {
    (*win).acc += select(vec4f(0.0), v, real);
    let padded = ih >= -i32(params.pad_top) && ih < i32(params.in_height + params.pad_bottom)
      && iw >= -i32(params.pad_left) && iw < i32(params.in_width + params.pad_right);
    (*win).count += select(0u, 1u, select(real, padded, COUNT_INCLUDE_PAD));
  }
}

/** Pools the whole window of output column `ow` of row `row`. */
fn pool_window(row: u32, ow: u32, c4: u32) -> vec4f {
  let oh = row % params.out_height;
  let n = row / params.out_height;
  var win = Window(
    i32(oh * params.stride_height) - i32(params.pad_top),
    i32(ow * params.stride_width) - i32(params.pad_left),
    i32(n * params.in_height),
    c4,
    select(vec4f(0.0), vec4f(bitcast<f32>(params.neg_inf_bits)), POOL_MAX),
    0u,
  );
  // The common square windows are spelled out tap by tap: without loops (which CPU
  // implementations such as SwiftShader do not unroll) they ran twice as fast there.
  if (WINDOW == 2u) {
    take(&win, 0u, 0u); take(&win, 0u, 1u);
    take(&win, 1u, 0u); take(&win, 1u, 1u);
  } else if (WINDOW == 3u) {
    take(&win, 0u, 0u); take(&win, 0u, 1u); take(&win, 0u, 2u);
    take(&win, 1u, 0u); take(&win, 1u, 1u); take(&win, 1u, 2u);
    take(&win, 2u, 0u); take(&win, 2u, 1u); take(&win, 2u, 2u);
  } else {
    for (var kh = 0u; kh < params.kernel_height; kh++) {
      for (var kw = 0u; kw < params.kernel_width; kw++) {
        take(&win, kh, kw);
      }
    }
  }
  if (POOL_MAX) {
    return win.acc;
  }
  return win.acc / f32(win.count);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.y + gid.z * groups.y;
  if (gid.x >= params.total || r >= params.row_pitch) {
    return;
  }
  let quads = params.channels / 4u;
  let c4 = gid.x % quads;
  let row = r + params.out_start / (params.out_width * params.channels);
  let base = row * params.out_width;
  let shift = params.out_shift / 4u;
  // COLUMNS outputs side by side per invocation: overlapping windows (3x3, stride 2) then load
  // their shared column once, and per-invocation work is shared.
  let ow0 = (gid.x / quads) * COLUMNS;
  out[(base + ow0) * quads + c4 - shift] = pool_window(row, ow0, c4);
  if (COLUMNS == 2u && ow0 + 1u < params.out_width) {
    out[(base + ow0 + 1u) * quads + c4 - shift] = pool_window(row, ow0 + 1u, c4);
  }
}
