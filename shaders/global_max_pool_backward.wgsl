// global_max_pool_backward: the gradient of global max pooling over NHWC. `pooled` is the
// forward's result [N, C]; an element equal to its plane's maximum receives dy[n, c], every other
// element 0. With MARK, this pass writes the indicator (1 at a maximum, else 0) instead, which the
// host sums into `counts` (the ties per plane) when SPLIT divides dy among the ties as TF's
// _MinOrMaxGrad does; without SPLIT every tie gets the whole dy, as tf.grads of tfjs's tf.max.
// A plane whose maximum is NaN (it holds a NaN) is NaN throughout, and so is one whose dy is NaN.
// One invocation per element, channel fastest; pooled, dy and counts are small and bound whole.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound range of x
  out_shift: u32,  // elements before the bound output range
  plane: u32,      // H * W
  channels: u32,
  // Bits of a quiet NaN, from the host: a WGSL constant expression may not evaluate to NaN.
  nan_bits: u32,
}

override WORKGROUP_SIZE: u32;
override MARK: bool;
override SPLIT: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> pooled: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> counts: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

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
  let c = params.channels;
  let nc = (g / (params.plane * c)) * c + g % c;
  let m = pooled[nc];
  // Equal bits, or both zeros (-0 == 0); never NaN here (m is not NaN past the first test).
  let v = x[g - params.in_shift];
  let at_max = bitcast<u32>(v) == bitcast<u32>(m) || (((bitcast<u32>(v) | bitcast<u32>(m)) & 0x7fffffffu) == 0u);
  let nan = bitcast<f32>(params.nan_bits);
  var r: f32;
  if (MARK) {
    r = select(select(0.0, 1.0, at_max), nan, is_nan(m));
  } else {
    let d = dy[nc];
    var share = d;
    if (SPLIT) {
      share = d / counts[nc];
    }
    r = select(select(0.0, share, at_max), nan, is_nan(m) || is_nan(d));
  }
  out[g - params.out_shift] = r;
}
