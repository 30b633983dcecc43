// One optimizer step over a weight, in place: the weight and its slots (velocity, or Adam's first
// and second moments) are read and written where they lie, one invocation per element. Keras's
// update rules (OP):
//   0 SGD:       w -= lr * g
//   1 momentum:  v = momentum * v - lr * g;  w += v
//   2 Nesterov:  v = momentum * v - lr * g;  w += momentum * v - lr * g
//   3 Adam:      m = b1 * m + (1 - b1) * g;  s = b2 * s + (1 - b2) * g^2;  w -= lr_t * m / (sqrt(s) + eps)
//                with lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t) worked out on the host for step t.

struct Params {
  total: u32,      // elements in this chunk
  row_pitch: u32,  // invocations per row of the (possibly 2-D/3-D folded) dispatch grid
  out_start: u32,  // first element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound ranges (every binding holds the same range)
  out_shift: u32,
  lr: f32,         // lr, or Adam's lr_t
  a: f32,          // momentum, or beta1
  b: f32,          // beta2
  epsilon: f32,
  // 1 - beta1 and 1 - beta2, worked out in float64 on the host: 1 - 0.999 in float32 is off by
  // 1e-5 relative, which Adam's second moment would carry into every step.
  one_minus_a: f32,
  one_minus_b: f32,
}

override WORKGROUP_SIZE: u32;
override OP: u32;

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> slot1: array<f32>;
@group(0) @binding(3) var<storage, read_write> slot2: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let k = i + params.out_start - params.in_shift;
  let g = grad[k];
  if (OP == 0u) {
    weight[k] = weight[k] - params.lr * g;
  } else if (OP == 1u || OP == 2u) {
    let v = params.a * slot1[k] - params.lr * g;
    slot1[k] = v;
    weight[k] = weight[k] + select(v, params.a * v - params.lr * g, OP == 2u);
  } else {
    let m = params.a * slot1[k] + params.one_minus_a * g;
    let s = params.b * slot2[k] + params.one_minus_b * g * g;
    slot1[k] = m;
    slot2[k] = s;
    weight[k] = weight[k] - params.lr * m / (sqrt(s) + params.epsilon);
  }
}
