// concat_place: one input of a concat copied into its place in the output, which every input's
// pass writes a part of: input [outer, row] to output columns [offset, offset + row) of
// [outer, out_row]. An n-way concat is then n passes that write each output element once, where
// joining pairwise copies the growing partial result again for every input (PP-OCR det's 4-way
// FPN concat: 3 passes moving 2.25x the output). Four elements per invocation: rows, offsets and
// the output row are multiples of 4 (the host checks). Both bindings whole, unsplit.

struct Params {
  total: u32,      // invocations: outer * row / 4
  row_pitch: u32,
  out_start: u32,  // (0)
  in_shift: u32,   // (0)
  out_shift: u32,  // (0)
  row: u32,        // this input's row, in vec4s
  out_row: u32,    // the output's row, in vec4s
  offset: u32,     // where this input's row starts in the output's, in vec4s
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let r = i / params.row;
  let k = i % params.row;
  out[r * params.out_row + params.offset + k] = x[i];
}
