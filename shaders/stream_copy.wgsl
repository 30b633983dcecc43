// stream_copy: the bandwidth ceiling probe. Reads N floats as vec4s and writes one float per vec4
// (their sum), so the kernel does almost no arithmetic and its speed is the memory system's.
// The sum (not a plain copy) keeps every byte read live, so no compiler can drop the loads.

struct Params {
  total: u32,      // N / 4: vec4s read, floats written
  row_pitch: u32,  // invocations per row of the (possibly 2-D/3-D folded) dispatch grid
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let v = src[i];
  dst[i] = (v.x + v.y) + (v.z + v.w);
}
