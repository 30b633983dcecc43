// softmax over one axis: out = exp(x - max) / sum(exp(x - max)) along it, the max subtracted so
// exp never overflows. x is viewed as [outer, length, inner]: one invocation per (outer, inner)
// lane walks its `length` elements `inner` apart, three passes (max, sum, write). The last axis is
// inner = 1 (a lane is a contiguous row); for other axes neighbouring invocations read
// neighbouring elements.
//
// NaN / Inf rules (the same as evaluating that formula in IEEE arithmetic, which is what
// tf.nn.softmax does): a NaN or a +Inf anywhere in a lane makes the whole lane NaN (+Inf - +Inf is
// NaN); a -Inf entry gets probability 0; a lane of only -Inf is all NaN (-Inf - -Inf is NaN).
// Infinities are handled by bit tests, never passed to exp().

struct Params {
  total: u32,      // lanes in this chunk
  row_pitch: u32,
  out_start: u32,  // first lane of this chunk (chunks hold whole outer blocks)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  length: u32,     // size of the softmax axis
  inner: u32,      // elements after the axis: the stride between a lane's elements
  // Bits of a quiet NaN, from the host: a WGSL constant expression may not evaluate to NaN.
  nan_bits: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_pos_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0x7f800000u;
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let lane = i + params.out_start;
  let step = params.inner;
  let base = (lane / step) * params.length * step + lane % step;
  let x_base = base - params.in_shift;
  let o_base = base - params.out_shift;
  var poisoned = false;
  var any_finite = false;
  var m = 0.0;
  for (var k = 0u; k < params.length; k++) {
    let v = x[x_base + k * step];
    if (is_nan(v) || is_pos_inf(v)) {
      poisoned = true;
    } else if (!is_neg_inf(v)) {
      if (!any_finite || v > m) {
        m = v;
      }
      any_finite = true;
    }
  }
  if (poisoned || !any_finite) {
    let nan = bitcast<f32>(params.nan_bits);
    for (var k = 0u; k < params.length; k++) {
      out[o_base + k * step] = nan;
    }
    return;
  }
  var sum = 0.0;
  for (var k = 0u; k < params.length; k++) {
    let v = x[x_base + k * step];
    if (!is_neg_inf(v)) {
      sum += exp(v - m);
    }
  }
  // sum >= 1: the max itself contributes exp(0).
  for (var k = 0u; k < params.length; k++) {
    let v = x[x_base + k * step];
    out[o_base + k * step] = select(exp(v - m) / sum, 0.0, is_neg_inf(v));
  }
}
