// dropout (training): y = (x * scale) * mask, mask = 1 where the element is kept, else 0, and
// scale = 1 / (1 - rate), in tf.nn.dropout's order (x scaled first, then masked; a dropped NaN or
// infinity gives NaN, as there). The mask is a counter-based PRNG: a hash of (seed, element
// index), so it depends on nothing but those two (not on how the op is split or scheduled), and
// the CPU reference (src/reference/grad/dropout.ts) reproduces it bit for bit. The hash is PCG's
// output permutation used as a hash (pcg_hash, Jarzynski & Olano, "Hash Functions for GPU
// Rendering", JCGT 2020), applied as pcg(pcg(index) ^ pcg(seed)): hashing the index before the
// seed is mixed in keeps two seeds' masks from being plain re-indexings of each other.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound x range
  out_shift: u32,  // elements before the bound y and mask ranges
  seed: u32,
  threshold: u32,  // an element is dropped when its hash is below floor(rate * 2^32)
  scale_bits: u32, // f32 bits of 1 / (1 - rate)
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let keep = select(0.0, 1.0, pcg(pcg(g) ^ pcg(params.seed)) >= params.threshold);
  y[g - params.out_shift] = (x[g - params.in_shift] * bitcast<f32>(params.scale_bits)) * keep;
  mask[g - params.out_shift] = keep;
}
