// avg_pool2d over NHWC: the mean of the real cells of each window. Padded cells are never summed;
// they are counted only with COUNT_INCLUDE_PAD (PyTorch's count_include_pad), and then only those
// inside the declared padding, not a ceil-mode overhang. One invocation per output element,
// channel fastest; NCHW callers run it over [N*C, H, W, 1].

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
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

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let c = g % params.channels;
  let pixel = g / params.channels;
  let ow = pixel % params.out_width;
  let oh = (pixel / params.out_width) % params.out_height;
  let n = pixel / (params.out_width * params.out_height);

  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow * params.stride_width) - i32(params.pad_left);
  var sum = 0.0;
  var count = 0u;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let ih = h0 + i32(kh * params.dilation_height);
    let row_real = ih >= 0 && ih < i32(params.in_height);
    let row_padded = ih >= -i32(params.pad_top) && ih < i32(params.in_height + params.pad_bottom);
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let iw = w0 + i32(kw * params.dilation_width);
      let real = row_real && iw >= 0 && iw < i32(params.in_width);
      if (real) {
        sum += x[((n * params.in_height + u32(ih)) * params.in_width + u32(iw)) * params.channels + c - params.in_shift];
      }
      if (COUNT_INCLUDE_PAD) {
        if (row_padded && iw >= -i32(params.pad_left) && iw < i32(params.in_width + params.pad_right)) {
          count++;
        }
      } else if (real) {
        count++;
      }
    }
  }
  out[g - params.out_shift] = sum / f32(count);
}
