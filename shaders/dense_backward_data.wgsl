// dense_backward_data: the gradient of dense with respect to its input, dx = dy * weights^T:
// dx[r, k] = sum_u dy[r, u] * weights[k, u], dy seen as [rows, units], weights [in_features,
// units]. One invocation per element of dx, feature fastest: neighbouring invocations write
// neighbouring words and share the dy row they read; each walks one contiguous row of weights
// (small and reused by every row, so it stays in cache).

struct Params {
  total: u32,      // rows * in_features in this chunk
  row_pitch: u32,
  out_start: u32,  // first element of dx in this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of dy
  out_shift: u32,  // elements before the bound range of dx
  in_features: u32,
  units: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let units = params.units;
  let k = g % params.in_features;
  let d = (g / params.in_features) * units - params.in_shift;
  let w = k * units;
  // Four terms a trip into two sums (SwiftShader pays per loop trip); plain IEEE arithmetic, so
  // NaN, and an infinity met by a zero, give NaN as the forward's products would.
  var s0 = 0.0;
  var s1 = 0.0;
  var u = 0u;
  for (; u + 3u < units; u += 4u) {
    s0 += dy[d + u] * weights[w + u] + dy[d + u + 2u] * weights[w + u + 2u];
    s1 += dy[d + u + 1u] * weights[w + u + 1u] + dy[d + u + 3u] * weights[w + u + 3u];
  }
  for (; u < units; u++) {
    s0 += dy[d + u] * weights[w + u];
  }
  out[g - params.out_shift] = s0 + s1;
}
