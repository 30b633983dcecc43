// gather: ONNX Gather along one axis. x is seen as [outer, axis, inner] and the output as
// [outer, count, inner]: out[o, k, i] = x[o, indices[k], i]. Indices arrive as f32 (Condense
// tensors are float32; host indices are checked and made non-negative before upload); a negative
// index counts from the end, and one that is not an integer in [-axis, axis) gives NaN rather
// than a read outside x. The input is bound over the span its chunk reads (in_shift).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,
  in_shift: u32,
  out_shift: u32,
  count: u32,
  inner: u32,
  axis_size: u32,
  nan_bits: u32,  // WGSL cannot spell a NaN constant
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> indices: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let within = g % params.inner;
  let row = g / params.inner;
  let k = row % params.count;
  let o = row / params.count;
  var j = indices[k];
  // NaN and infinities by their bits: a compiler may assume comparisons see no NaN.
  if ((bitcast<u32>(j) & 0x7f800000u) == 0x7f800000u) {
    out[g - params.out_shift] = bitcast<f32>(params.nan_bits);
    return;
  }
  let size = f32(params.axis_size);
  if (j < 0.0) {
    j = j + size;
  }
  if (j < 0.0 || j >= size || floor(j) != j) {
    out[g - params.out_shift] = bitcast<f32>(params.nan_bits);
    return;
  }
  let xi = (o * params.axis_size + u32(j)) * params.inner + within;
  out[g - params.out_shift] = x[xi - params.in_shift];
}
