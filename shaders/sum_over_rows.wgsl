// sum_over_rows: one pass of a blocked column sum. x is viewed as [outer, rows, inner]; the pass
// writes [outer, blocks, inner], element (o, b, c) being the sum of rows [b * block, b * block +
// block) of column c of slab o, divided by `divisor` (1 except in the last pass of a mean). The
// host chains passes until one row is left (src/ops/backward/reduce.ts), so no invocation loops
// over more than `block` rows however many rows there are, and float32 error grows with the log
// of the row count rather than with the count.
// One invocation per output element, column fastest: neighbouring invocations read neighbouring
// words of each row (coalesced once inner passes a few dozen columns).

struct Params {
  total: u32,      // output elements in this chunk
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  rows: u32,       // rows per slab in this pass's input
  block: u32,      // rows summed by one invocation
  inner: u32,      // columns
  blocks: u32,     // ceil(rows / block): rows per slab in the output
  divisor: f32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let inner = params.inner;
  let q = g / inner;
  let o = q / params.blocks;
  let r0 = (q % params.blocks) * params.block;
  let n = min(params.block, params.rows - r0);
  var at = (o * params.rows + r0) * inner + g % inner - params.in_shift;
  // Four rows a trip into four sums: independent loads in flight on GPUs, and SwiftShader pays
  // about a load's cost per loop trip. Plain IEEE adds, so NaN and opposite infinities give NaN.
  var s0 = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  var s3 = 0.0;
  var k = 0u;
  for (; k + 3u < n; k += 4u) {
    s0 += x[at];
    s1 += x[at + inner];
    s2 += x[at + 2u * inner];
    s3 += x[at + 3u * inner];
    at += 4u * inner;
  }
  for (; k < n; k++) {
    s0 += x[at];
    at += inner;
  }
  out[g - params.out_shift] = ((s0 + s1) + (s2 + s3)) / params.divisor;
}
