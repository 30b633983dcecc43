// avg_pool2d_backward: the gradient of average pooling with avg_pool2d.wgsl's divisors (the real
// cells of each window, or with COUNT_INCLUDE_PAD those inside the declared padding, never a
// ceil-mode overhang). A gather: one invocation per dx element adds dy / count of every window
// whose taps include its cell. A window's count is a product of its row and column counts (its
// taps form a grid), each found by walking that axis's taps. NHWC; NCHW callers run it over
// [N*C, H, W, 1].

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first dx element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound dy range
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
  pad_bottom: u32,
  pad_right: u32,
}

override WORKGROUP_SIZE: u32;
override COUNT_INCLUDE_PAD: bool;

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

/** How many of a window's taps along one axis count: start, taps, dilation, size, pads. */
fn taps_counted(start: i32, kernel: u32, dilation: u32, size: u32, before: u32, after: u32) -> u32 {
  var lo = 0;
  var hi = i32(size);
  if (COUNT_INCLUDE_PAD) {
    lo = -i32(before);
    hi = i32(size + after);
  }
  var count = 0u;
  for (var k = 0u; k < kernel; k++) {
    let p = start + i32(k * dilation);
    if (p >= lo && p < hi) {
      count++;
    }
  }
  return count;
}

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
  var sum = 0.0;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let th = i32(ih + params.pad_top) - i32(kh * params.dilation_height);
    if (th < 0) {
      break;
    }
    if (u32(th) % params.stride_height != 0u || u32(th) / params.stride_height >= params.out_height) {
      continue;
    }
    let oh = u32(th) / params.stride_height;
    let rows = taps_counted(i32(oh * params.stride_height) - i32(params.pad_top), params.kernel_height, params.dilation_height, params.in_height, params.pad_top, params.pad_bottom);
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let tw = i32(iw + params.pad_left) - i32(kw * params.dilation_width);
      if (tw < 0) {
        break;
      }
      if (u32(tw) % params.stride_width != 0u || u32(tw) / params.stride_width >= params.out_width) {
        continue;
      }
      let ow = u32(tw) / params.stride_width;
      let cols = taps_counted(i32(ow * params.stride_width) - i32(params.pad_left), params.kernel_width, params.dilation_width, params.in_width, params.pad_left, params.pad_right);
      sum += dy[((n * params.out_height + oh) * params.out_width + ow) * params.channels + c - params.in_shift] / f32(rows * cols);
    }
  }
  dx[g - params.out_shift] = sum;
}
