// accuracy: Keras' accuracy metrics as a hit (1) or miss (0) per element or per row, which the
// host averages with sum_over_rows into a [1] tensor. KIND (codes in src/ops/backward/loss.ts):
//   0 binary: per element, y_true == (y_pred > 0.5 ? 1 : 0) (Keras' binary_accuracy, threshold 0.5);
//   1 categorical: per row, argmax(y_true) == argmax(y_pred), ties to the first index (tf.argmax);
//   2 sparse: per row, labels[row] == argmax(y_pred).
// A NaN in y_true or y_pred, or a label that is not an integer in [0, length), gives NaN (so the
// mean is NaN: the metric does not hide broken data).

struct Params {
  total: u32,      // elements (binary) or rows in this chunk
  row_pitch: u32,
  out_start: u32,  // first element or row of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound ranges of y_pred and of y_true (KIND 0, 1)
  out_shift: u32,  // elements (rows) before the bound ranges of hits and of labels (KIND 0: the same as in_shift)
  length: u32,     // classes (KIND 1, 2)
  nan_bits: u32,
}

override WORKGROUP_SIZE: u32;
override KIND: u32;

@group(0) @binding(0) var<storage, read> y_true: array<f32>;
@group(0) @binding(1) var<storage, read> y_pred: array<f32>;
@group(0) @binding(2) var<storage, read_write> hits: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

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
  let nan = bitcast<f32>(params.nan_bits);
  if (KIND == 0u) {
    let t = y_true[g - params.in_shift];
    let p = y_pred[g - params.in_shift];
    hits[g - params.out_shift] = select(select(0.0, 1.0, t == select(0.0, 1.0, p > 0.5)), nan, is_nan(t) || is_nan(p));
    return;
  }
  let n = params.length;
  let base = g * n - params.in_shift;
  var bad = false;
  var best_p = 0u;
  var best_t = 0u;
  for (var k = 0u; k < n; k++) {
    let p = y_pred[base + k];
    bad = bad || is_nan(p);
    if (p > y_pred[base + best_p]) {
      best_p = k;
    }
    if (KIND == 1u) {
      let t = y_true[base + k];
      bad = bad || is_nan(t);
      if (t > y_true[base + best_t]) {
        best_t = k;
      }
    }
  }
  if (KIND == 2u) {
    let l = y_true[g - params.out_shift];
    bad = bad || is_nan(l) || !(l >= 0.0 && l < f32(n) && floor(l) == l);
    best_t = u32(max(l, 0.0));
  }
  hits[g - params.out_shift] = select(select(0.0, 1.0, best_t == best_p), nan, bad);
}
