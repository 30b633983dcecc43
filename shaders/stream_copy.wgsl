// stream_copy: the bandwidth ceiling probe. Reads N floats as vec4s and writes one float per vec4
// (their sum), four outputs per invocation (reads 64 bytes, writes one vec4), so the kernel does
// almost no arithmetic and its speed is the memory system's. The sum (not a plain copy) keeps
// every byte read live, so no compiler can drop the loads.

struct Params {
  total: u32,      // N / 16: invocations (each reads four vec4s and writes one)
  row_pitch: u32,  // invocations per row of the (possibly 2-D/3-D folded) dispatch grid
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  // Quarter by quarter, so neighbouring invocations read neighbouring vec4s (coalesced on GPUs).
  let a = src[i];
  let b = src[i + params.total];
  let c = src[i + 2u * params.total];
  let d = src[i + 3u * params.total];
  dst[i] = vec4f((a.x + a.y) + (a.z + a.w), (b.x + b.y) + (b.z + b.w), (c.x + c.y) + (c.z + c.w), (d.x + d.y) + (d.z + d.w));
}
