// pool2d_vec4: max or average pooling over NHWC with C a multiple of 4: four channels per
// invocation through vec4 loads (coalesced: neighbouring invocations read neighbouring channels),
// two output columns per invocation. The grid is rows of the output: x covers one row's (column
// pair, channel quad) pairs, and y (folded into z past the limit) counts rows (n, oh), or strips
// of STRIP rows of one image. Taps are branch-free: indices are clamped, and cells outside the
// input are masked (averages) or replaced by a real cell of the same window (max).
// Compile-time choices (like a vector width; shapes, strides and padding stay in the uniforms):
// - WINDOW: square windows of 2 or 3 have their taps spelled out; the rest loop.
// - SHARED: 3x3 windows at stride 2 and dilation 1 (ResNet's stem pool) overlap by a row and a
//   column. An invocation's two windows share their middle column (15 loads, not 18), and down a
//   strip each row of windows starts on the one above's last row (10 more loads per row).
// - INSIDE: every window lies inside the input (even 2x2 stride-2 pools, 'valid' ones), so no
//   tap needs a clamp or a mask: 1.1x faster on SwiftShader.
// - STRIP (SHARED only): rows per invocation. On CPU adapters (SwiftShader) 2 ran fastest: 4
//   made the code too long. GPUs get 1, for parallelism; the shared column still pays there.
// SwiftShader notes, measured: it runs both sides of a branch whose condition varies (so no load
// here sits behind one), and a loop's body at half speed; unrolled code is bounded by the
// instruction cache.
// pool2d_cols serves single-channel planes (NCHW); the generic max_pool2d / avg_pool2d kernels
// the rest (indices, other channel counts).

struct Params {
  total: u32,      // invocations per row: ceil(out_width / COLUMNS) * channels / 4
  row_pitch: u32,  // output rows in this dispatch (whole images when STRIP > 1)
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
// 3x3 windows, stride 2, dilation 1, COLUMNS 2: neighbouring windows share their loads.
override SHARED: bool;
// Output rows per invocation of a SHARED pool: 1 to 4.
override STRIP: u32;
// Every window lies inside the input (no padding reaches a tap): taps need no mask, and a
// window's count is its size. The 2x2 stride-2 pools of even sizes, 'valid' pools.
override INSIDE: bool;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

fn nan4() -> vec4f {
  return vec4f(bitcast<f32>(params.neg_inf_bits | 0x00400000u));
}

fn neg_inf4() -> vec4f {
  return vec4f(bitcast<f32>(params.neg_inf_bits));
}

/** Magnitude bits: above 0x7f800000 exactly for NaN. */
fn mag(v: vec4f) -> vec4u {
  return bitcast<vec4u>(v) & vec4u(0x7fffffffu);
}

// ---- any window (WINDOW 0): taps looped ----

fn is_nan4(v: vec4f) -> vec4<bool> {
  return mag(v) > vec4u(0x7f800000u);
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
  let at = (u32((*win).in_base + clamp(ih, 0, h_last)) * params.in_width + u32(clamp(iw, 0, w_last))) * (params.channels >> 2u);
  let v = x[at + (*win).c4 - (params.in_shift >> 2u)];
  if (POOL_MAX) {
    (*win).acc = select((*win).acc, v, vec4<bool>(real) & ((v > (*win).acc) | is_nan4(v)) & !is_nan4((*win).acc));
  } else {
    (*win).acc += select(vec4f(0.0), v, real);
    let padded = ih >= -i32(params.pad_top) && ih < i32(params.in_height + params.pad_bottom)
      && iw >= -i32(params.pad_left) && iw < i32(params.in_width + params.pad_right);
    (*win).count += select(0u, 1u, select(real, padded, COUNT_INCLUDE_PAD));
  }
}

/** Pools the whole window (any size) of output column `ow` of row `row`. */
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
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      take(&win, kh, kw);
    }
  }
  if (POOL_MAX) {
    return win.acc;
  }
  return win.acc / f32(win.count);
}

// ---- square windows (WINDOW 2 or 3): taps spelled out ----
// Loops over taps are not unrolled by CPU implementations such as SwiftShader; spelled out
// they ran twice as fast there.

/** One axis of a window: where its taps read (`at`, scaled), which are real, and how many count. */
struct Taps {
  at: vec3u,
  real: vec3<bool>,
  count: u32,
}

/**
 * The taps of a window starting at p0 (dilation d) along an axis of n cells, padded by
 * before/after. A tap in the padding reads the window's first real cell instead: repeating a cell
 * cannot change a max, so max pooling needs no mask. Every window has a real cell (ops/pool.ts
 * rejects the others); the min only guards a column past the row's end, which is never stored.
 */
fn axis_taps(p0: i32, d: u32, n: u32, before: u32, after: u32, scale: u32) -> Taps {
  let p = vec3i(p0) + vec3i(0, 1, 2) * i32(d);
  if (INSIDE) {
    return Taps(min(vec3u(p), vec3u(n - 1u)) * scale, vec3<bool>(true), select(2u, 3u, WINDOW == 3u));
  }
  let real = (p >= vec3i(0)) & (p < vec3i(i32(n)));
  // The first real tap is past the taps in the padding before it: counted, not divided out.
  let first = p0 + i32(d) * (select(0, 1, p.x < 0) + select(0, 1, p.y < 0) + select(0, 1, WINDOW == 3u && p.z < 0));
  let cell = min(vec3u(select(vec3i(first), p, real)), vec3u(n - 1u));
  let padded = (p >= vec3i(-i32(before))) & (p < vec3i(i32(n + after)));
  let counts = select(vec3u(0u), vec3u(1u), select(real, padded, COUNT_INCLUDE_PAD));
  return Taps(cell * scale, real, counts.x + counts.y + select(0u, counts.z, WINDOW == 3u));
}

/** Running max of a window: `worst` keeps the largest magnitude seen, so a NaN anywhere wins at the end. */
struct Max {
  m: vec4f,
  worst: vec4u,
}

fn max_tap(a: ptr<function, Max>, at: u32) {
  let v = x[at];
  (*a).m = max((*a).m, v);
  (*a).worst = max((*a).worst, mag(v));
}

fn sum_tap(s: ptr<function, vec4f>, at: u32, real: bool) {
  *s += select(vec4f(0.0), x[at], real);
}

/** The window whose rows start at element offsets rows.at (this quad's) and columns at cols.at. */
fn pool_square(rows: Taps, cols: Taps) -> vec4f {
  let r = rows.at;
  let c = cols.at;
  if (POOL_MAX) {
    var a = Max(neg_inf4(), vec4u(0u));
    max_tap(&a, r.x + c.x); max_tap(&a, r.x + c.y);
    max_tap(&a, r.y + c.x); max_tap(&a, r.y + c.y);
    if (WINDOW == 3u) {
      max_tap(&a, r.x + c.z); max_tap(&a, r.y + c.z);
      max_tap(&a, r.z + c.x); max_tap(&a, r.z + c.y); max_tap(&a, r.z + c.z);
    }
    return select(a.m, nan4(), a.worst > vec4u(0x7f800000u));
  }
  let rr = rows.real;
  let cr = cols.real;
  var s = vec4f(0.0);
  sum_tap(&s, r.x + c.x, rr.x && cr.x); sum_tap(&s, r.x + c.y, rr.x && cr.y);
  sum_tap(&s, r.y + c.x, rr.y && cr.x); sum_tap(&s, r.y + c.y, rr.y && cr.y);
  if (WINDOW == 3u) {
    sum_tap(&s, r.x + c.z, rr.x && cr.z); sum_tap(&s, r.y + c.z, rr.y && cr.z);
    sum_tap(&s, r.z + c.x, rr.z && cr.x); sum_tap(&s, r.z + c.y, rr.z && cr.y); sum_tap(&s, r.z + c.z, rr.z && cr.z);
  }
  return s / f32(rows.count * cols.count);
}

/** Output row `row` (global: n * out_height + oh) as rows of taps, for this invocation's quad c4. */
fn row_taps(row: u32, c4: u32) -> Taps {
  let oh = row % params.out_height;
  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  var t = axis_taps(h0, params.dilation_height, params.in_height, params.pad_top, params.pad_bottom, 1u);
  let image = (row / params.out_height) * params.in_height;
  t.at = (t.at + image) * params.in_width * (params.channels >> 2u) + c4 - (params.in_shift >> 2u);
  return t;
}

fn column_taps(ow: u32) -> Taps {
  let w0 = i32(ow * params.stride_width) - i32(params.pad_left);
  return axis_taps(w0, params.dilation_width, params.in_width, params.pad_left, params.pad_right, params.channels >> 2u);
}

// ---- SHARED: 3x3 windows at stride 2, dilation 1, two per invocation ----

/** The five columns two neighbouring windows span: offsets (scaled) and which are real. */
struct Five {
  at: vec4u,
  at4: u32,
  real: vec4<bool>,
  real4: bool,
}

fn five_columns(ow0: u32) -> Five {
  let w0 = i32(ow0 * 2u) - i32(params.pad_left);
  let last = i32(params.in_width) - 1;
  let q = params.channels >> 2u;
  let p = vec4i(w0) + vec4i(0, 1, 2, 3);
  // Clamping keeps a column inside every window that holds it (windows are contiguous and have a
  // real cell), so for a max the clamped cell is a repeat; averages mask it.
  return Five(vec4u(clamp(p, vec4i(0), vec4i(last))) * q, u32(clamp(w0 + 4, 0, last)) * q, (p >= vec4i(0)) & (p <= vec4i(last)), w0 + 4 >= 0 && w0 + 4 <= last);
}

/** One input row folded across each window's three columns: left window (a), right (b), and their NaN watches. */
struct Pair {
  a: vec4f,
  b: vec4f,
  wa: vec4u,
  wb: vec4u,
}

fn shared_cell(at: u32, real: bool) -> vec4f {
  return select(vec4f(0.0), x[at], real || POOL_MAX);
}

fn fold(a: vec4f, b: vec4f) -> vec4f {
  if (POOL_MAX) {
    return max(a, b);
  }
  return a + b;
}

/** Input row p (of the image whose rows start at `image`) across the five columns. */
fn shared_row(image: u32, p: i32, cols: Five, c4: u32) -> Pair {
  let real = p >= 0 && p < i32(params.in_height);
  let base = (image + u32(clamp(p, 0, i32(params.in_height) - 1))) * params.in_width * (params.channels >> 2u) + c4 - (params.in_shift >> 2u);
  let c0 = shared_cell(base + cols.at.x, real && cols.real.x);
  let c1 = shared_cell(base + cols.at.y, real && cols.real.y);
  let c2 = shared_cell(base + cols.at.z, real && cols.real.z);
  let c3 = shared_cell(base + cols.at.w, real && cols.real.w);
  let c4v = shared_cell(base + cols.at4, real && cols.real4);
  return Pair(fold(fold(c0, c1), c2), fold(fold(c2, c3), c4v), max(max(mag(c0), mag(c1)), mag(c2)), max(max(mag(c2), mag(c3)), mag(c4v)));
}

fn join(a: Pair, b: Pair) -> Pair {
  return Pair(fold(a.a, b.a), fold(a.b, b.b), max(a.wa, b.wa), max(a.wb, b.wb));
}

/** An average's divisor for the window of three rows from h0 and three columns from w0. */
fn shared_count(h0: i32, w0: i32) -> f32 {
  let rows = axis_taps(h0, 1u, params.in_height, params.pad_top, params.pad_bottom, 0u).count;
  let cols = axis_taps(w0, 1u, params.in_width, params.pad_left, params.pad_right, 0u).count;
  return f32(rows * cols);
}

/** What walking down a strip carries: the last window's bottom row and its two outputs. */
struct Slide {
  below: Pair,
  a: vec4f,
  b: vec4f,
}

/**
 * Output row `row` (image rows from `image`, window rows from h0) from the window's first row
 * `top`. Past the image's last row (`fresh` false) the strip repeats that row's values: the same
 * values to the same place from the same invocation, where a branch would cost more.
 */
fn shared_out(s: ptr<function, Slide>, top: Pair, image: u32, h0: i32, row: u32, fresh: bool, cols: Five, ow0: u32, c4: u32, two: bool) {
  let mid = shared_row(image, h0 + 1, cols, c4);
  let below = shared_row(image, h0 + 2, cols, c4);
  (*s).below = below;
  let w = join(join(top, mid), below);
  var a = w.a;
  var b = w.b;
  if (POOL_MAX) {
    a = select(a, nan4(), w.wa > vec4u(0x7f800000u));
    b = select(b, nan4(), w.wb > vec4u(0x7f800000u));
  } else {
    let w0 = i32(ow0 * 2u) - i32(params.pad_left);
    a /= shared_count(h0, w0);
    b /= shared_count(h0, w0 + 2);
  }
  a = select((*s).a, a, fresh);
  b = select((*s).b, b, fresh);
  (*s).a = a;
  (*s).b = b;
  let quads = params.channels >> 2u;
  let at = (row * params.out_width + ow0) * quads + c4 - (params.out_shift >> 2u);
  out[at] = a;
  if (two) {
    out[at + quads] = b;
  }
}

/**
 * A strip of STRIP output rows of one image from output row `first` (global), walking down:
 * each window's first row is the one above's last, so after the first row a row of two windows
 * loads 10 cells. With STRIP > 1 the engine dispatches whole images in one chunk, and strips
 * never cross an image.
 */
fn pool_shared(first: u32, ow0: u32, c4: u32, two: bool) {
  let cols = five_columns(ow0);
  let oh0 = first % params.out_height;
  let image = (first / params.out_height) * params.in_height;
  let last = params.out_height - 1u - oh0;
  let h0 = i32(oh0 * 2u) - i32(params.pad_top);
  var s = Slide(shared_row(image, h0, cols, c4), vec4f(0.0), vec4f(0.0));
  shared_out(&s, s.below, image, h0, first, true, cols, ow0, c4, two);
  // Spelled out, not looped: SwiftShader ran a loop's body at half speed even for one trip.
  if (STRIP > 1u) { shared_out(&s, s.below, image, h0 + 2, first + min(1u, last), 1u <= last, cols, ow0, c4, two); }
  if (STRIP > 2u) { shared_out(&s, s.below, image, h0 + 4, first + min(2u, last), 2u <= last, cols, ow0, c4, two); }
  if (STRIP > 3u) { shared_out(&s, s.below, image, h0 + 6, first + min(3u, last), 3u <= last, cols, ow0, c4, two); }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let strip = gid.y + gid.z * groups.y;
  // Strips of one image each: ceil(out_height / STRIP) per image (rows, with STRIP 1).
  let per_image = (params.out_height + STRIP - 1u) / STRIP;
  let strips = select(params.row_pitch, params.row_pitch / params.out_height * per_image, STRIP > 1u);
  if (gid.x >= params.total || strip >= strips) {
    return;
  }
  let quads = params.channels >> 2u;
  let c4 = gid.x % quads;
  let ow0 = (gid.x / quads) * COLUMNS;
  let two = COLUMNS == 2u && ow0 + 1u < params.out_width;
  let chunk = params.out_start / (params.out_width * params.channels);
  if (SHARED) {
    pool_shared(chunk + strip / per_image * params.out_height + strip % per_image * STRIP, ow0, c4, two);
    return;
  }
  let row = chunk + strip;
  let at = (row * params.out_width + ow0) * quads + c4 - (params.out_shift >> 2u);
  if (WINDOW == 0u) {
    out[at] = pool_window(row, ow0, c4);
    if (two) {
      out[at + quads] = pool_window(row, ow0 + 1u, c4);
    }
    return;
  }
  let taps = row_taps(row, c4);
  out[at] = pool_square(taps, column_taps(ow0));
  if (two) {
    out[at + quads] = pool_square(taps, column_taps(ow0 + 1u));
  }
}
