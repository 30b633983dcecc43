// loss_rows: the crossentropies over the last axis (classes), one invocation per row of `length`
// classes: the row's term of the loss and its row of dPred = d term / d pred / rows. The host
// sums the terms with sum_over_rows (dividing by rows) into the [1] loss: Keras' mean over the
// batch. LOSS (codes in src/ops/backward/loss.ts):
//   0 categorical crossentropy of probabilities, Keras: p normalized by its row sum s, clipped to
//     [eps, 1 - eps] (q), term -sum t log q; with g_k = -t_k / q_k inside the clip (0 outside),
//     dPred_k = (g_k - sum_j g_j p_j / s) / s, the gradient through the normalization too;
//   1 categorical crossentropy of logits z, via log-softmax: term sum t (lse - z), dPred
//     softmax(z) * sum(t) - t (softmax - t when the labels sum to 1, as TF's kernel assumes);
//   2, 3 the same with the label a class index (labels[row], one per row): one-hot labels.
// NaN / Inf rules: a NaN or infinite probability, a NaN or +Inf logit (the softmax rule) or a NaN
// label makes the row's term and gradient NaN, and so do probabilities summing to 0; a -Inf logit has probability 0 (its term is 0 for
// a zero label, +Inf otherwise); a row of only -Inf logits is NaN. A class index that is not an
// integer in [0, length) makes its row NaN. Rows are read three times (sum, term, gradient):
// neighbouring invocations are `length` words apart, as in the forward softmax.

struct Params {
  total: u32,      // rows in this chunk
  row_pitch: u32,
  out_start: u32,  // first row of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound ranges of y_true (LOSS 0, 1), y_pred and d_pred
  out_shift: u32,  // elements (rows) before the bound ranges of terms and of labels (LOSS 2, 3)
  length: u32,     // classes
  rows: f32,       // rows in all: the mean's divisor
  eps: f32,
  one_minus_eps: f32,
  nan_bits: u32,
  inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
override LOSS: u32;

// y_true [rows, length] for LOSS 0 and 1, labels [rows] for 2 and 3.
@group(0) @binding(0) var<storage, read> y_true: array<f32>;
@group(0) @binding(1) var<storage, read> y_pred: array<f32>;
@group(0) @binding(2) var<storage, read_write> d_pred: array<f32>;
@group(0) @binding(3) var<storage, read_write> terms: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_inf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

fn is_neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

var<private> sparse_label: u32;

// The label of class k: y_true's, or one-hot of the row's class index.
fn label(at: u32, k: u32) -> f32 {
  if (LOSS >= 2u) {
    return select(0.0, 1.0, k == sparse_label);
  }
  return y_true[at + k];
}

fn poison(row: u32, base: u32) {
  let nan = bitcast<f32>(params.nan_bits);
  for (var k = 0u; k < params.length; k++) {
    d_pred[base + k] = nan;
  }
  terms[row - params.out_shift] = nan;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let row = i + params.out_start;
  let n = params.length;
  let base = row * n - params.in_shift;
  if (LOSS >= 2u) {
    let l = y_true[row - params.out_shift];
    // An integer in [0, n) (the NaN test is a bit test: compilers may fold float comparisons with NaN).
    if (is_nan(l) || !(l >= 0.0 && l < f32(n) && floor(l) == l)) {
      poison(row, base);
      return;
    }
    sparse_label = u32(l);
  }
  let logits = LOSS == 1u || LOSS == 3u;
  // Pass 1: the row sum (probabilities) or the max of the finite logits, and the poison tests.
  var bad = false;
  var any_finite = false;
  var m = 0.0;
  var s = 0.0;
  for (var k = 0u; k < n; k++) {
    let v = y_pred[base + k];
    if (is_nan(label(base, k)) || is_nan(v)) {
      bad = true;
    } else if (logits) {
      if (!is_neg_inf(v) && is_inf(v)) {
        bad = true;
      } else if (!is_neg_inf(v)) {
        m = select(m, v, !any_finite || v > m);
        any_finite = true;
      }
    } else if (is_inf(v)) {
      bad = true;
    } else {
      s += v;
    }
  }
  // Probabilities that sum to 0 would normalize to 0 / 0: NaN, as in Keras.
  if (bad || (logits && !any_finite) || (!logits && s == 0.0)) {
    poison(row, base);
    return;
  }
  let inf = bitcast<f32>(params.inf_bits);
  var term = 0.0;
  if (logits) {
    var z = 0.0;
    for (var k = 0u; k < n; k++) {
      let v = y_pred[base + k];
      if (!is_neg_inf(v)) {
        z += exp(v - m);
      }
    }
    // z >= 1 (the max contributes e^0), so the log is finite.
    let lse = m + log(z);
    var t_sum = 0.0;
    for (var k = 0u; k < n; k++) {
      let v = y_pred[base + k];
      let t = label(base, k);
      t_sum += t;
      if (is_neg_inf(v)) {
        term += select(inf, 0.0, t == 0.0);
      } else {
        term += t * (lse - v);
      }
    }
    for (var k = 0u; k < n; k++) {
      let v = y_pred[base + k];
      let p = select(exp(v - lse), 0.0, is_neg_inf(v));
      d_pred[base + k] = (p * t_sum - label(base, k)) / params.rows;
    }
  } else {
    // Pass 2: the term and sum_j g_j p_j, with p the normalized probabilities.
    var gp = 0.0;
    for (var k = 0u; k < n; k++) {
      let p = y_pred[base + k] / s;
      let inside = p >= params.eps && p <= params.one_minus_eps;
      let q = select(select(params.eps, params.one_minus_eps, p > params.one_minus_eps), p, inside);
      let t = label(base, k);
      term -= t * log(q);
      gp += select(0.0, -t / q, inside) * p;
    }
    for (var k = 0u; k < n; k++) {
      let p = y_pred[base + k] / s;
      let inside = p >= params.eps && p <= params.one_minus_eps;
      let g = select(0.0, -label(base, k) / p, inside);
      d_pred[base + k] = (g - gp) / s / params.rows;
    }
  }
  terms[row - params.out_shift] = term;
}
