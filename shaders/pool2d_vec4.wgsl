// pool2d_vec4: max or average pooling over NHWC with C a multiple of 4: four channels per
// invocation through vec4 loads (coalesced: neighbouring invocations read neighbouring channels).
// The grid is rows of the output: x covers one output row's (column, channel quad) pairs, and
// y (folded into z past the limit) counts rows (n, oh), so each invocation divides only by the
// channel-quad count and the workgroup-uniform row. Taps are branch-free: indices are clamped and
// the cells outside the input are masked, so invocations of a subgroup never diverge.
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

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.y + gid.z * groups.y;
  if (gid.x >= params.total || r >= params.row_pitch) {
    return;
  }
  let quads = params.channels / 4u;
  let c4 = gid.x % quads;
  let ow = gid.x / quads;
  let row = r + params.out_start / (params.out_width * params.channels);
  let oh = row % params.out_height;
  let n = row / params.out_height;

  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow * params.stride_width) - i32(params.pad_left);
  let h_last = i32(params.in_height) - 1;
  let w_last = i32(params.in_width) - 1;
  let in_base = i32(n * params.in_height);
  let in_shift4 = params.in_shift / 4u;
  let neg_inf = vec4f(bitcast<f32>(params.neg_inf_bits));
  var acc = select(vec4f(0.0), neg_inf, POOL_MAX);
  var count = 0u;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let ih = h0 + i32(kh * params.dilation_height);
    let row_real = ih >= 0 && ih <= h_last;
    let row_padded = ih >= -i32(params.pad_top) && ih < i32(params.in_height + params.pad_bottom);
    let in_row = u32(in_base + clamp(ih, 0, h_last)) * params.in_width;
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let iw = w0 + i32(kw * params.dilation_width);
      let real = row_real && iw >= 0 && iw <= w_last;
      let v = x[(in_row + u32(clamp(iw, 0, w_last))) * quads + c4 - in_shift4];
      if (POOL_MAX) {
        acc = select(acc, v, vec4<bool>(real) & ((v > acc) | is_nan4(v)) & !is_nan4(acc));
      } else {
        acc += select(vec4f(0.0), v, real);
        let counted = select(real, row_padded && iw >= -i32(params.pad_left) && iw < i32(params.in_width + params.pad_right), COUNT_INCLUDE_PAD);
        count += select(0u, 1u, counted);
      }
    }
  }
  if (!POOL_MAX) {
    acc /= f32(count);
  }
  out[(row * params.out_width + ow) * quads + c4 - params.out_shift / 4u] = acc;
}
