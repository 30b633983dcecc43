// conv2d_pointwise_nchw: NCHW 1x1 convolution at stride 1 without padding (the expand and project
// layers of MobileNet-family ONNX exports, which paddle2onnx and torch.onnx write channels-first):
// per image, out[Cout, P] = filter[Cout, Cin] * x[Cin, P] over the P = H * W pixels, P a multiple
// of 4. Each invocation computes 4 output channels x 8 pixels (two vec4s along the pixels): every
// input vec4 feeds 4 channels' multiply-adds and every filter word 8. The grid's x runs over
// blocks of 8 pixels, y over output channel quads and z over images, so a workgroup reads the same
// filter words in every invocation (one broadcast read on GPUs; no shared memory or barriers,
// which CPU adapters such as SwiftShader charge dearly for). Written out by hand: SwiftShader
// keeps loop-indexed arrays in memory.

struct Params {
  total: u32,      // (unused: the grid is sized by the host)
  row_pitch: u32,  // (unused)
  out_start: u32,  // (0: this kernel runs unsplit)
  in_shift: u32,
  out_shift: u32,
  pixels: u32,     // H * W, a multiple of 4
  in_channels: u32,
  out_channels: u32,
}

override WORKGROUP_SIZE: u32;
override HAS_BIAS: bool;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let pq = params.pixels / 4u;
  let v0 = gid.x * 2u;
  if (v0 >= pq) {
    return;
  }
  let two = v0 + 1u < pq;
  let v1 = min(v0 + 1u, pq - 1u);
  let cin = params.in_channels;
  let cout = params.out_channels;
  let n = gid.z;
  let c0 = gid.y * 4u;
  // Channels past Cout read the last row of the filter (their results are not written).
  let r0 = c0 * cin;
  let r1 = min(c0 + 1u, cout - 1u) * cin;
  let r2 = min(c0 + 2u, cout - 1u) * cin;
  let r3 = min(c0 + 3u, cout - 1u) * cin;
  let xb = n * cin * pq;
  var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
  var b0 = vec4f(0.0); var b1 = vec4f(0.0); var b2 = vec4f(0.0); var b3 = vec4f(0.0);
  for (var ci = 0u; ci < cin; ci++) {
    let p = x[xb + ci * pq + v0];
    let q = x[xb + ci * pq + v1];
    let w0 = weights[r0 + ci]; let w1 = weights[r1 + ci];
    let w2 = weights[r2 + ci]; let w3 = weights[r3 + ci];
    a0 += p * w0; b0 += q * w0;
    a1 += p * w1; b1 += q * w1;
    a2 += p * w2; b2 += q * w2;
    a3 += p * w3; b3 += q * w3;
  }
  let ob = n * cout * pq;
  var bias0 = 0.0; var bias1 = 0.0; var bias2 = 0.0; var bias3 = 0.0;
  if (HAS_BIAS) {
    bias0 = bias[c0];
    bias1 = bias[min(c0 + 1u, cout - 1u)];
    bias2 = bias[min(c0 + 2u, cout - 1u)];
    bias3 = bias[min(c0 + 3u, cout - 1u)];
  }
  out[ob + c0 * pq + v0] = activate4(a0 + bias0);
  if (two) { out[ob + c0 * pq + v1] = activate4(b0 + bias0); }
  if (c0 + 1u < cout) {
    out[ob + (c0 + 1u) * pq + v0] = activate4(a1 + bias1);
    if (two) { out[ob + (c0 + 1u) * pq + v1] = activate4(b1 + bias1); }
  }
  if (c0 + 2u < cout) {
    out[ob + (c0 + 2u) * pq + v0] = activate4(a2 + bias2);
    if (two) { out[ob + (c0 + 2u) * pq + v1] = activate4(b2 + bias2); }
  }
  if (c0 + 3u < cout) {
    out[ob + (c0 + 3u) * pq + v0] = activate4(a3 + bias3);
    if (two) { out[ob + (c0 + 3u) * pq + v1] = activate4(b3 + bias3); }
  }
}
