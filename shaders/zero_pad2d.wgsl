// zero_pad2d over NHWC (Keras ZeroPadding2D): the input placed at (pad_top, pad_left) inside a
// zero-filled [N, H + top + bottom, W + left + right, C]. One invocation per output element.
// The offsets are signed: negative ones cut rows and columns off instead (Keras Cropping2D), so
// one kernel copies any window of the input.

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element (softmax: row) of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  in_height: u32,
  in_width: u32,
  channels: u32,
  out_height: u32,
  out_width: u32,
  pad_top: i32,
  pad_left: i32,
}

override WORKGROUP_SIZE: u32;

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
  let ih = i32(oh) - params.pad_top;
  let iw = i32(ow) - params.pad_left;
  var v = 0.0;
  if (ih >= 0 && ih < i32(params.in_height) && iw >= 0 && iw < i32(params.in_width)) {
    v = x[((n * params.in_height + u32(ih)) * params.in_width + u32(iw)) * params.channels + c - params.in_shift];
  }
  out[g - params.out_shift] = v;
}
