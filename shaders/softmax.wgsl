// softmax over the last axis: out = exp(x - max) / sum(exp(x - max)) per row, the max subtracted
// so exp never overflows. One invocation per row, three passes over it (max, sum, write).
//
// NaN / Inf rules (the same as evaluating that formula in IEEE arithmetic, which is what
// tf.nn.softmax does): a NaN or a +Inf anywhere in a row makes the whole row NaN (+Inf - +Inf is
// NaN); a -Inf entry gets probability 0; a row of only -Inf is all NaN (-Inf - -Inf is NaN).
// Infinities are handled by bit tests, never passed to exp().

struct Params {
  total: u32,      // rows in this chunk
  row_pitch: u32,
  out_start: u32,  // first output element (softmax: row) of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  length: u32,     // size of the last axis
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
  let r = i + params.out_start;
  let base = r * params.length;
  let x_base = base - params.in_shift;
  let o_base = base - params.out_shift;
  var poisoned = false;
  var any_finite = false;
  var m = 0.0;
  for (var k = 0u; k < params.length; k++) {
    let v = x[x_base + k];
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
      out[o_base + k] = nan;
    }
    return;
  }
  var sum = 0.0;
  for (var k = 0u; k < params.length; k++) {
    let v = x[x_base + k];
    if (!is_neg_inf(v)) {
      sum += exp(v - m);
    }
  }
  // sum >= 1: the max itself contributes exp(0).
  for (var k = 0u; k < params.length; k++) {
    let v = x[x_base + k];
    out[o_base + k] = select(exp(v - m) / sum, 0.0, is_neg_inf(v));
  }
}
