// conv2d_block: NHWC conv2d (HWIO filters, Cout % 4 == 0) where each invocation computes a block of
// 2 x 4 output pixels for 8 output channels (two vec4 quads): 16 vec4 accumulators, so every input
// vec4 feeds 8 multiply-adds and every filter vec4 feeds 8. A workgroup shares one pair of output
// quads, so with STAGE_FILTER it stages those filter columns in shared memory, STAGE_ROWS rows of
// the K x Cout filter matrix at a time (K = KH * KW * Cin: a whole 3x3x32 filter takes two
// stages), and every invocation then reads the same filter words (a broadcast). The input is read
// in vec4s along the channels (VEC4_INPUT, Cin % 4 == 0) or as scalars gathered into vec4s; with
// 1 to 3 input channels (SMALL_CIN) only those are loaded and multiplied (the lesson's RGB conv
// ran 1.2x faster on SwiftShader than with a zero-padded quad).
// STAGE_FILTER is the GPU choice. On CPU adapters (SwiftShader, llvmpipe) workgroup memory is
// ordinary memory and a barrier switches every invocation's coroutine, so the host turns staging
// off there and the same broadcast reads come straight from the filter buffer (1.8x faster on
// SwiftShader for the 3x3 convolutions of the benchmark).
// The block is written out by hand, not with loops over arrays: SwiftShader (CPU) keeps loop-indexed
// arrays in memory, which made this kernel 2x slower there; GPU compilers unroll either form.
//
// With FUSE_POOL the 2 x 4 block is the two windows of a 2 x 2, stride 2 max pool: the invocation
// applies bias and activation, takes each window's max (NaN wins, cells outside the conv output
// are the pool's padding) and writes 2 pooled pixels; the conv output never reaches memory.

struct Params {
  total: u32,      // (unused: the grid is sized by the host)
  row_pitch: u32,  // (unused)
  out_start: u32,  // (0: this kernel runs unsplit)
  in_shift: u32,
  out_shift: u32,
  in_height: u32,
  in_width: u32,
  in_channels: u32,
  out_height: u32,  // conv output
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
  block_rows: u32,  // blocks down one image: ceil(out_height / 2), or pooled rows
  block_cols: u32,  // blocks across: ceil(out_width / 4), or ceil(pooled columns / 2)
  pool_out_width: u32,
  pool_pad_top: u32,
  pool_pad_left: u32,
  neg_inf_bits: u32,
  batch: u32,
}

override WORKGROUP_SIZE: u32;
override VEC4_INPUT: bool;
override HAS_BIAS: bool;
override FUSE_POOL: bool;
// Filter rows staged per step (a multiple of 4), two output quads each.
override STAGE_ROWS: u32;
override STAGE_FILTER: bool;
// Cin when it is 1, 2 or 3 (grey or RGB first layers): only the real channels are loaded and
// multiplied, where a padded quad would spend 3/4, 1/2 or 1/4 of its work on zeros. 0 otherwise.
override SMALL_CIN: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
// The same input buffer again, as vec4s (VEC4_INPUT).
@group(0) @binding(4) var<storage, read> x4: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

var<workgroup> filter_tile: array<vec4f, STAGE_ROWS * 2u>;

/** Input channels ci..ci+3 at pixel offset `pixel` (zero past Cin or outside the image). */
fn load_quad(pixel: u32, ci: u32, inside: bool) -> vec4f {
  if (VEC4_INPUT) {
    return select(vec4f(0.0), x4[(pixel * params.in_channels + ci - params.in_shift) / 4u], inside);
  }
  let cin = params.in_channels;
  let at = pixel * cin + ci - params.in_shift;
  if (SMALL_CIN != 0u) {
    var v = vec4f(x[at], 0.0, 0.0, 0.0);
    if (SMALL_CIN >= 2u) { v.y = x[at + 1u]; }
    if (SMALL_CIN >= 3u) { v.z = x[at + 2u]; }
    return select(vec4f(0.0), v, inside);
  }
  // Past Cin the loads may run into the next pixel or off the buffer (robust access keeps that
  // in bounds); the mask zeroes them. (Per-component scalar selects here crashed SwiftShader's
  // compiler; one vec4 select does not.)
  let real = vec4<bool>(ci < cin, ci + 1u < cin, ci + 2u < cin, ci + 3u < cin) & vec4<bool>(inside);
  return select(vec4f(0.0), vec4f(x[at], x[at + 1u], x[at + 2u], x[at + 3u]), real);
}

/** One input vec4 (4 channels) times the 4 filter rows of those channels. */
fn mac(a: vec4f, w0: vec4f, w1: vec4f, w2: vec4f, w3: vec4f) -> vec4f {
  if (SMALL_CIN != 0u) {
    var s = a.x * w0;
    if (SMALL_CIN >= 2u) { s += a.y * w1; }
    if (SMALL_CIN >= 3u) { s += a.z * w2; }
    return s;
  }
  return a.x * w0 + a.y * w1 + a.z * w2 + a.w * w3;
}

/** max that lets NaN win and ignores cells outside the conv output. */
fn pool_max(m: vec4f, v: vec4f, inside: bool) -> vec4f {
  return select(m, v, vec4<bool>(inside) & ((v > m) | is_nan4(v)) & !is_nan4(m));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let quads_out = params.out_channels / 4u;
  // The grid's x runs over every image's blocks, so small maps of a batch (7 x 7: 8 blocks each)
  // still fill whole workgroups instead of leaving most lanes idle.
  let blocks = params.block_rows * params.block_cols;
  let all_blocks = blocks * params.batch;
  var pair = wid.y;
  var slot = gid.x;
  var live = gid.x < all_blocks;
  if (!STAGE_FILTER) {
    // Nothing is shared within a workgroup, so x runs over the channel pairs too (pair-major:
    // neighbouring lanes read the same filter words). A small map then fills one workgroup
    // instead of one per pair of mostly idle lanes, which a CPU adapter runs all the same
    // (the digit model's pooled 7x7x32->64 layer: 8 workgroups with 6 live lanes each).
    let pairs = (quads_out + 1u) / 2u;
    live = gid.x < all_blocks * pairs;
    pair = min(gid.x / all_blocks, pairs - 1u);
    slot = gid.x % all_blocks;
  }
  let q0 = pair * 2u;
  // No early return: every invocation must reach the barriers.
  let flat = min(slot, all_blocks - 1u);
  let n = flat / blocks;
  let block = flat % blocks;
  let br = block / params.block_cols;
  let bc = block % params.block_cols;
  var row0: i32;
  var col0: i32;
  if (FUSE_POOL) {
    row0 = i32(br * 2u) - i32(params.pool_pad_top);
    col0 = i32(bc * 4u) - i32(params.pool_pad_left);
  } else {
    row0 = i32(br * 2u);
    col0 = i32(bc * 4u);
  }
  // Top-left input cell of each output row/column's window.
  let ih0 = row0 * i32(params.stride_height) - i32(params.pad_top);
  let ih1 = ih0 + i32(params.stride_height);
  let iw0 = col0 * i32(params.stride_width) - i32(params.pad_left);
  let sw = i32(params.stride_width);
  let h_last = i32(params.in_height) - 1;
  let w_last = i32(params.in_width) - 1;
  let image = i32(n * params.in_height);

  var a00 = vec4f(0.0); var a01 = vec4f(0.0); var a02 = vec4f(0.0); var a03 = vec4f(0.0);
  var a10 = vec4f(0.0); var a11 = vec4f(0.0); var a12 = vec4f(0.0); var a13 = vec4f(0.0);
  var b00 = vec4f(0.0); var b01 = vec4f(0.0); var b02 = vec4f(0.0); var b03 = vec4f(0.0);
  var b10 = vec4f(0.0); var b11 = vec4f(0.0); var b12 = vec4f(0.0); var b13 = vec4f(0.0);

  let cin_quads = (params.in_channels + 3u) / 4u;
  let q1_ok = q0 + 1u < quads_out;
  let k_rows = params.kernel_height * params.kernel_width * params.in_channels;
  // Filter rows [staged, staged + STAGE_ROWS) are in filter_tile; the first use stages.
  var staged = 0u;
  var staged_end = 0u;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let dh = i32(kh * params.dilation_height);
    let r0 = ih0 + dh;
    let r1 = ih1 + dh;
    let in_r0 = r0 >= 0 && r0 <= h_last;
    let in_r1 = r1 >= 0 && r1 <= h_last;
    let row0_at = (image + clamp(r0, 0, h_last)) * i32(params.in_width);
    let row1_at = (image + clamp(r1, 0, h_last)) * i32(params.in_width);
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let c0 = iw0 + i32(kw * params.dilation_width);
      let c1 = c0 + sw;
      let c2 = c1 + sw;
      let c3 = c2 + sw;
      let in0 = c0 >= 0 && c0 <= w_last;
      let in1 = c1 >= 0 && c1 <= w_last;
      let in2 = c2 >= 0 && c2 <= w_last;
      let in3 = c3 >= 0 && c3 <= w_last;
      let p00 = u32(row0_at + clamp(c0, 0, w_last)); let p01 = u32(row0_at + clamp(c1, 0, w_last));
      let p02 = u32(row0_at + clamp(c2, 0, w_last)); let p03 = u32(row0_at + clamp(c3, 0, w_last));
      let p10 = u32(row1_at + clamp(c0, 0, w_last)); let p11 = u32(row1_at + clamp(c1, 0, w_last));
      let p12 = u32(row1_at + clamp(c2, 0, w_last)); let p13 = u32(row1_at + clamp(c3, 0, w_last));
      let tap_row = (kh * params.kernel_width + kw) * params.in_channels;
      for (var cq = 0u; cq < cin_quads; cq++) {
        let ci = cq * 4u;
        let row = tap_row + ci;
        // Uniform across the workgroup, like the loops around it, so the barriers are too.
        if (STAGE_FILTER && row + 4u > staged_end) {
          workgroupBarrier();
          for (var e = lane; e < STAGE_ROWS * 2u; e += WORKGROUP_SIZE) {
            let k = row + e / 2u;
            let q = q0 + e % 2u;
            let at = min(k, k_rows - 1u) * quads_out + min(q, quads_out - 1u);
            filter_tile[e] = select(vec4f(0.0), weights[at], k < k_rows && q < quads_out);
          }
          staged = row;
          staged_end = row + STAGE_ROWS;
          workgroupBarrier();
        }
        {
          var w0: vec4f; var w1: vec4f; var w2: vec4f; var w3: vec4f;
          var v0: vec4f; var v1: vec4f; var v2: vec4f; var v3: vec4f;
          if (STAGE_FILTER) {
            let f = (row - staged) * 2u;
            w0 = filter_tile[f]; w1 = filter_tile[f + 2u]; w2 = filter_tile[f + 4u]; w3 = filter_tile[f + 6u];
            v0 = filter_tile[f + 1u]; v1 = filter_tile[f + 3u]; v2 = filter_tile[f + 5u]; v3 = filter_tile[f + 7u];
          } else {
            // Rows past K and the second quad past Cout are clamped; their products are masked below.
            let k_last = k_rows - 1u;
            let qa = q0;
            let qb = min(q0 + 1u, quads_out - 1u);
            w0 = weights[min(row, k_last) * quads_out + qa];
            v0 = weights[min(row, k_last) * quads_out + qb];
            if (SMALL_CIN == 0u || SMALL_CIN >= 2u) {
              w1 = weights[min(row + 1u, k_last) * quads_out + qa];
              v1 = weights[min(row + 1u, k_last) * quads_out + qb];
            }
            if (SMALL_CIN == 0u || SMALL_CIN >= 3u) {
              w2 = weights[min(row + 2u, k_last) * quads_out + qa];
              v2 = weights[min(row + 2u, k_last) * quads_out + qb];
            }
            if (SMALL_CIN == 0u) {
              w3 = weights[min(row + 3u, k_last) * quads_out + qa];
              v3 = weights[min(row + 3u, k_last) * quads_out + qb];
            }
          }
          if (!VEC4_INPUT && SMALL_CIN == 0u) {
            // A quad past Cin reaches into the next tap's rows: their inputs are masked to 0, and
            // so are the rows, so that an infinite weight there cannot turn 0 * w into NaN.
            let cin = params.in_channels;
            w1 = select(vec4f(0.0), w1, ci + 1u < cin); v1 = select(vec4f(0.0), v1, ci + 1u < cin);
            w2 = select(vec4f(0.0), w2, ci + 2u < cin); v2 = select(vec4f(0.0), v2, ci + 2u < cin);
            w3 = select(vec4f(0.0), w3, ci + 3u < cin); v3 = select(vec4f(0.0), v3, ci + 3u < cin);
          }
          let x00 = load_quad(p00, ci, in_r0 && in0); let x01 = load_quad(p01, ci, in_r0 && in1);
          let x02 = load_quad(p02, ci, in_r0 && in2); let x03 = load_quad(p03, ci, in_r0 && in3);
          let x10 = load_quad(p10, ci, in_r1 && in0); let x11 = load_quad(p11, ci, in_r1 && in1);
          let x12 = load_quad(p12, ci, in_r1 && in2); let x13 = load_quad(p13, ci, in_r1 && in3);
          a00 += mac(x00, w0, w1, w2, w3); a01 += mac(x01, w0, w1, w2, w3);
          a02 += mac(x02, w0, w1, w2, w3); a03 += mac(x03, w0, w1, w2, w3);
          a10 += mac(x10, w0, w1, w2, w3); a11 += mac(x11, w0, w1, w2, w3);
          a12 += mac(x12, w0, w1, w2, w3); a13 += mac(x13, w0, w1, w2, w3);
          b00 += mac(x00, v0, v1, v2, v3); b01 += mac(x01, v0, v1, v2, v3);
          b02 += mac(x02, v0, v1, v2, v3); b03 += mac(x03, v0, v1, v2, v3);
          b10 += mac(x10, v0, v1, v2, v3); b11 += mac(x11, v0, v1, v2, v3);
          b12 += mac(x12, v0, v1, v2, v3); b13 += mac(x13, v0, v1, v2, v3);
        }
      }
    }
  }
  if (!live) {
    return;
  }

  var bias0 = vec4f(0.0);
  var bias1 = vec4f(0.0);
  if (HAS_BIAS) {
    bias0 = bias[q0];
    bias1 = bias[min(q0 + 1u, quads_out - 1u)];
  }
  // Which of the block's rows and columns exist in the conv output.
  let oh_ok0 = row0 >= 0 && row0 < i32(params.out_height);
  let oh_ok1 = row0 + 1 >= 0 && row0 + 1 < i32(params.out_height);
  let ow_ok0 = col0 >= 0 && col0 < i32(params.out_width);
  let ow_ok1 = col0 + 1 >= 0 && col0 + 1 < i32(params.out_width);
  let ow_ok2 = col0 + 2 >= 0 && col0 + 2 < i32(params.out_width);
  let ow_ok3 = col0 + 3 >= 0 && col0 + 3 < i32(params.out_width);

  if (FUSE_POOL) {
    let neg_inf = vec4f(bitcast<f32>(params.neg_inf_bits));
    // Window 0 is columns 0-1, window 1 columns 2-3, both over the block's two rows.
    var m0 = neg_inf;
    m0 = pool_max(m0, activate4(a00 + bias0), oh_ok0 && ow_ok0); m0 = pool_max(m0, activate4(a01 + bias0), oh_ok0 && ow_ok1);
    m0 = pool_max(m0, activate4(a10 + bias0), oh_ok1 && ow_ok0); m0 = pool_max(m0, activate4(a11 + bias0), oh_ok1 && ow_ok1);
    var m1 = neg_inf;
    m1 = pool_max(m1, activate4(a02 + bias0), oh_ok0 && ow_ok2); m1 = pool_max(m1, activate4(a03 + bias0), oh_ok0 && ow_ok3);
    m1 = pool_max(m1, activate4(a12 + bias0), oh_ok1 && ow_ok2); m1 = pool_max(m1, activate4(a13 + bias0), oh_ok1 && ow_ok3);
    var n0 = neg_inf;
    n0 = pool_max(n0, activate4(b00 + bias1), oh_ok0 && ow_ok0); n0 = pool_max(n0, activate4(b01 + bias1), oh_ok0 && ow_ok1);
    n0 = pool_max(n0, activate4(b10 + bias1), oh_ok1 && ow_ok0); n0 = pool_max(n0, activate4(b11 + bias1), oh_ok1 && ow_ok1);
    var n1 = neg_inf;
    n1 = pool_max(n1, activate4(b02 + bias1), oh_ok0 && ow_ok2); n1 = pool_max(n1, activate4(b03 + bias1), oh_ok0 && ow_ok3);
    n1 = pool_max(n1, activate4(b12 + bias1), oh_ok1 && ow_ok2); n1 = pool_max(n1, activate4(b13 + bias1), oh_ok1 && ow_ok3);
    let pooled_row = (n * params.block_rows + br) * params.pool_out_width;
    let pw0 = bc * 2u;
    out[(pooled_row + pw0) * quads_out + q0] = m0;
    if (q1_ok) {
      out[(pooled_row + pw0) * quads_out + q0 + 1u] = n0;
    }
    if (pw0 + 1u < params.pool_out_width) {
      out[(pooled_row + pw0 + 1u) * quads_out + q0] = m1;
      if (q1_ok) {
        out[(pooled_row + pw0 + 1u) * quads_out + q0 + 1u] = n1;
      }
    }
    return;
  }

  let at0 = ((n * params.out_height + u32(row0)) * params.out_width + u32(col0)) * quads_out + q0;
  let at1 = at0 + params.out_width * quads_out;
  if (oh_ok0) {
    if (ow_ok0) { out[at0] = activate4(a00 + bias0); if (q1_ok) { out[at0 + 1u] = activate4(b00 + bias1); } }
    if (ow_ok1) { out[at0 + quads_out] = activate4(a01 + bias0); if (q1_ok) { out[at0 + quads_out + 1u] = activate4(b01 + bias1); } }
    if (ow_ok2) { out[at0 + 2u * quads_out] = activate4(a02 + bias0); if (q1_ok) { out[at0 + 2u * quads_out + 1u] = activate4(b02 + bias1); } }
    if (ow_ok3) { out[at0 + 3u * quads_out] = activate4(a03 + bias0); if (q1_ok) { out[at0 + 3u * quads_out + 1u] = activate4(b03 + bias1); } }
  }
  if (oh_ok1) {
    if (ow_ok0) { out[at1] = activate4(a10 + bias0); if (q1_ok) { out[at1 + 1u] = activate4(b10 + bias1); } }
    if (ow_ok1) { out[at1 + quads_out] = activate4(a11 + bias0); if (q1_ok) { out[at1 + quads_out + 1u] = activate4(b11 + bias1); } }
    if (ow_ok2) { out[at1 + 2u * quads_out] = activate4(a12 + bias0); if (q1_ok) { out[at1 + 2u * quads_out + 1u] = activate4(b12 + bias1); } }
    if (ow_ok3) { out[at1 + 3u * quads_out] = activate4(a13 + bias0); if (q1_ok) { out[at1 + 3u * quads_out + 1u] = activate4(b13 + bias1); } }
  }
}
