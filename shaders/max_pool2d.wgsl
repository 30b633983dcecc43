// max_pool2d over NHWC: padded cells never take part, the running max starts at -inf and a NaN
// anywhere in the window wins. One invocation per output element, channel fastest.
// With WITH_INDICES it also writes where each max came from (h * W + w, as float32): the first
// maximum in scan order, the first NaN; NCHW callers run it over [N*C, H, W, 1].

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
  // Bits of -inf, from the host: a WGSL constant expression may not evaluate to an infinity.
  neg_inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
override WITH_INDICES: bool;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> indices: array<f32>;
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
  let c = g % params.channels;
  let pixel = g / params.channels;
  let ow = pixel % params.out_width;
  let oh = (pixel / params.out_width) % params.out_height;
  let n = pixel / (params.out_width * params.out_height);

  let h0 = i32(oh * params.stride_height) - i32(params.pad_top);
  let w0 = i32(ow * params.stride_width) - i32(params.pad_left);
  var m = bitcast<f32>(params.neg_inf_bits);
  var arg_max = -1;
  for (var kh = 0u; kh < params.kernel_height; kh++) {
    let ih = h0 + i32(kh * params.dilation_height);
    if (ih < 0 || ih >= i32(params.in_height)) {
      continue;
    }
    for (var kw = 0u; kw < params.kernel_width; kw++) {
      let iw = w0 + i32(kw * params.dilation_width);
      if (iw < 0 || iw >= i32(params.in_width)) {
        continue;
      }
      let v = x[((n * params.in_height + u32(ih)) * params.in_width + u32(iw)) * params.channels + c - params.in_shift];
      // Once m is NaN nothing replaces it; arg_max < 0 makes an all -inf window point at its first cell.
      if ((v > m || is_nan(v) || arg_max < 0) && !is_nan(m)) {
        m = v;
        arg_max = ih * i32(params.in_width) + iw;
      }
    }
  }
  out[g - params.out_shift] = m;
  if (WITH_INDICES) {
    indices[g - params.out_shift] = f32(arg_max);
  }
}
