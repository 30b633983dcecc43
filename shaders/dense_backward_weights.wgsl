// dense_backward_weights: the weights' gradient of dense, x^T * dy summed over every row,
// computed as partial sums over blocks of rows: part[b, k, u] = sum over rows r of block b of
// x[r, k] * dy[r, u] (x seen as [rows, in_features], dy as [rows, units]). The host picks the
// block so that blocks * in_features * units invocations fill the GPU (a small head over a large
// batch is thousands of blocks, not in_features * units long loops), then sums the blocks with
// sum_over_rows; with one block this writes dWeights directly.
// One invocation per (block, k, u), unit fastest: neighbouring invocations read neighbouring dy
// words and the same x word.

struct Params {
  total: u32,      // blocks * in_features * units in this chunk
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of x
  out_shift: u32,  // elements before the bound output range
  dy_shift: u32,   // elements before the bound range of dy
  rows: u32,
  block: u32,      // rows per block
  in_features: u32,
  units: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let kf = params.in_features;
  let units = params.units;
  let per_block = kf * units;
  let e = g % per_block;
  let r0 = (g / per_block) * params.block;
  let n = min(params.block, params.rows - r0);
  var xi = r0 * kf + e / units - params.in_shift;
  var di = r0 * units + e % units - params.dy_shift;
  // Two rows a trip into two sums; plain IEEE arithmetic, so NaN propagates.
  var s0 = 0.0;
  var s1 = 0.0;
  var r = 0u;
  for (; r + 1u < n; r += 2u) {
    s0 += x[xi] * dy[di];
    s1 += x[xi + kf] * dy[di + units];
    xi += 2u * kf;
    di += 2u * units;
  }
  if (r < n) {
    s0 += x[xi] * dy[di];
  }
  out[g - params.out_shift] = s0 + s1;
}
