// max_pool2d_backward: the gradient of max pooling, routed through each window's argmax as
// max_pool2d.wgsl (WITH_INDICES) picks it: the first maximum in scan order, the first NaN. A
// gather with no atomics: one invocation per dx element visits the windows whose taps include its
// cell and adds dy of each window whose argmax is that cell. NHWC; NCHW callers run it over
// [N*C, H, W, 1], as the forward.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first dx element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound dy (and indices) range
  out_shift: u32,  // elements before the bound dx range
  in_height: u32,
  in_width: u32,
  channels: u32,
  out_height: u32,
  out_width: u32,
  kernel_height: u32,
  kernel_width: u32,
  stride_height: u32,
  stride_width: u32,
  dilation_height: u32,
  dilation_width: u32,
  pad_top: u32,
  pad_left: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
// h * W + w within the (n, c) plane, as exact float32 integers (the forward's indices).
@group(0) @binding(1) var<storage, read> indices: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let c = g % params.channels;
  let pixel = g / params.channels;
  let iw = pixel % params.in_width;
  let ih = (pixel / params.in_width) % params.in_height;
  let n = pixel / (params.in_width * params.in_height);
  let cell = f32(ih * params.in_width + iw);
  var sum = 0.0;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    // The window at output row oh taps this row at kh when oh * stride = ih + pad_top - kh * dilation.
    let th = i32(ih + params.pad_top) - i32(kh * params.dilation_height);
    if (th < 0) {
      break;
    }
    if (u32(th) % params.stride_height != 0u || u32(th) / params.stride_height >= params.out_height) {
      continue;
    }
    let oh = u32(th) / params.stride_height;
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let tw = i32(iw + params.pad_left) - i32(kw * params.dilation_width);
      if (tw < 0) {
        break;
      }
      if (u32(tw) % params.stride_width != 0u || u32(tw) / params.stride_width >= params.out_width) {
        continue;
      }
      let at = ((n * params.out_height + oh) * params.out_width + u32(tw) / params.stride_width) * params.channels + c - params.in_shift;
      if (indices[at] == cell) {
        sum += dy[at];
      }
    }
  }
  dx[g - params.out_shift] = sum;
}
