// leaky_relu: out[i] = x[i] for x >= 0, alpha * x[i] below (ONNX LeakyRelu); NaN kept.
// One invocation per element.

struct Params {
  total: u32,      // number of elements
  row_pitch: u32,  // invocations per row of the (possibly 2-D/3-D folded) dispatch grid
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  alpha: f32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Integer test: compilers may assume float comparisons never see NaN.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let v = x[g - params.in_shift];
  out[g - params.out_shift] = select(select(params.alpha * v, v, v >= 0.0), v, is_nan(v));
}
