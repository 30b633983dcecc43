// max_unpool2d, pass 1 of 2 over NHWC (NCHW callers run it over [N*C, h, w, 1]): each value
// claims its target cell with atomicMax of its position + 1, so when several values name one cell
// the last in memory order wins, the same on every run. Indices that are not integers in
// [0, H*W) claim nothing.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,
  in_shift: u32,
  out_shift: u32,
  in_plane: u32,   // h * w of the values
  out_plane: u32,  // H * W of the output
  channels: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> indices: array<f32>;
@group(0) @binding(1) var<storage, read_write> winner: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

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
  let at = indices[g - params.in_shift];
  if (is_nan(at) || at < 0.0 || at >= f32(params.out_plane) || floor(at) != at) {
    return;
  }
  let c = g % params.channels;
  let n = g / (params.in_plane * params.channels);
  let cell = (n * params.out_plane + u32(at)) * params.channels + c;
  atomicMax(&winner[cell - params.out_shift], g + 1u);
}
