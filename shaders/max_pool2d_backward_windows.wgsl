// max_pool2d_backward_windows: the gradient of max pooling whose windows tile the input (stride =
// window, no dilation, no padding before the first row or column: Keras's MaxPooling2D(2) and
// most pools in CNNs), NHWC with C % 4 == 0. Each cell then lies in one window at most, so one
// invocation per (window, channel quad) finds the window's argmax itself, as max_pool2d.wgsl
// picks it (the first valid tap, then a larger value or a NaN, and nothing after a NaN), and
// writes every cell of the window: dy at the argmax, zero elsewhere. That replaces the general
// path's forward pass with indices plus a gather that loops over the windows around each cell:
// one pass, KH*KW + 1 vec4 loads and KH*KW vec4 stores per window, on every kind of adapter.
// Blocks past the last window (the rows and columns a 'valid' pool drops) write zeros.

struct Params {
  total: u32,
  row_pitch: u32,
  in_height: u32,
  in_width: u32,
  quads: u32,       // C / 4
  out_height: u32,
  out_width: u32,
  kernel_height: u32,
  kernel_width: u32,
  block_rows: u32,  // ceil(H / KH)
  block_cols: u32,  // ceil(W / KW)
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> dy: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dx: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let q = i % params.quads;
  let block = i / params.quads;
  let bw = block % params.block_cols;
  let bh = (block / params.block_cols) % params.block_rows;
  let n = block / (params.block_cols * params.block_rows);
  let h0 = bh * params.kernel_height;
  let w0 = bw * params.kernel_width;
  let h1 = min(h0 + params.kernel_height, params.in_height);
  let w1 = min(w0 + params.kernel_width, params.in_width);
  let row = params.in_width * params.quads;
  let base = (n * params.in_height * params.in_width) * params.quads + q;
  if (bh >= params.out_height || bw >= params.out_width) {
    for (var h = h0; h < h1; h++) {
      for (var w = w0; w < w1; w++) {
        dx[base + h * row + w * params.quads] = vec4f(0.0);
      }
    }
    return;
  }
  // The window's first cell is always inside the input (h0 < H, w0 < W): it starts the max.
  var m = x[base + h0 * row + w0 * params.quads];
  var arg = vec4u(0u);
  var tap = 0u;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) {
      let v = x[base + h * row + w * params.quads];
      let take = ((v > m) | is_nan4(v)) & !is_nan4(m);
      m = select(m, v, take);
      arg = select(arg, vec4u(tap), take);
      tap++;
    }
  }
  let d = dy[((n * params.out_height + bh) * params.out_width + bw) * params.quads + q];
  tap = 0u;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) {
      dx[base + h * row + w * params.quads] = select(vec4f(0.0), d, arg == vec4u(tap));
      tap++;
    }
  }
}
