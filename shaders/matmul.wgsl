// matmul: out[batch, m, n] = sum over k of a[batch, m, k] * b[batch, k, n] (NumPy's matmul), the
// batch dimensions right-aligned into six with a stride per operand (0 where it is broadcast),
// in elements of its matrices. One invocation per output element, summing k in order; both
// operands are bound whole, the output may be split into chunks.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of a (0: a is bound whole)
  out_shift: u32,  // elements before the bound output range
  m: u32, k: u32, n: u32,
  d0: u32, d1: u32, d2: u32, d3: u32, d4: u32, d5: u32,
  a0: u32, a1: u32, a2: u32, a3: u32, a4: u32, a5: u32,
  b0: u32, b1: u32, b2: u32, b3: u32, b4: u32, b5: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let col = g % params.n;
  let row = (g / params.n) % params.m;
  // Peel the batch coordinates off, last dimension first.
  var rest = g / (params.n * params.m);
  let dims = array<u32, 6>(params.d0, params.d1, params.d2, params.d3, params.d4, params.d5);
  let sa = array<u32, 6>(params.a0, params.a1, params.a2, params.a3, params.a4, params.a5);
  let sb = array<u32, 6>(params.b0, params.b1, params.b2, params.b3, params.b4, params.b5);
  var ai = 0u;
  var bi = 0u;
  for (var d = 5; d >= 0; d--) {
    let c = rest % dims[d];
    rest = rest / dims[d];
    ai += c * sa[d];
    bi += c * sb[d];
  }
  ai += row * params.k - params.in_shift;
  bi += col;
  var acc = 0.0;
  for (var t = 0u; t < params.k; t++) {
    acc += a[ai + t] * b[bi + t * params.n];
  }
  out[g - params.out_shift] = acc;
}
