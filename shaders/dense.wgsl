// dense: out[r, u] = act(sum_k x[r, k] * weights[k, u] + bias[u]), x seen as [rows, in_features]
// (every axis but the last is a row, as Keras' Dense does), weights [in_features, units].
// One invocation per output element, unit fastest, so neighbouring invocations read neighbouring
// weight words and write neighbouring outputs.

struct Params {
  total: u32,        // rows * units
  row_pitch: u32,
  out_start: u32,  // first output element (softmax: row) of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  in_features: u32,
  units: u32,
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;
// 0: linear, 1: relu, 2: sigmoid (softmax is its own kernel, run after a linear dense).
override ACTIVATION: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

fn is_negative(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x80000000u) != 0u;
}

// The stable form: exp(-|v|) never overflows; infinities and NaN are settled by bit tests.
fn sigmoid(v: f32) -> f32 {
  if (is_nan(v)) {
    return v;
  }
  if (is_inf(v)) {
    return select(1.0, 0.0, is_negative(v));
  }
  let e = exp(-abs(v));
  return select(1.0 / (1.0 + e), e / (1.0 + e), is_negative(v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let u = g % params.units;
  let r = g / params.units;
  let x_base = r * params.in_features - params.in_shift;
  var sum = 0.0;
  for (var k = 0u; k < params.in_features; k++) {
    sum += x[x_base + k] * weights[k * params.units + u];
  }
  if (HAS_BIAS) {
    sum += bias[u];
  }
  if (ACTIVATION == 1u) {
    sum = select(select(0.0, sum, sum > 0.0), sum, is_nan(sum));
  } else if (ACTIVATION == 2u) {
    sum = sigmoid(sum);
  }
  out[g - params.out_shift] = sum;
}
