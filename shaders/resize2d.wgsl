// resize2d over NHWC (NCHW callers run it over [N*C, H, W, 1]): ONNX Resize over the two spatial
// axes, nearest or bilinear, one invocation per output element. Each axis maps an output
// coordinate back to the input per coordinate_transformation_mode, using the inverse scale
// p / q (input length per output length) the op works out from the sizes or the scales.

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
  h_p: u32,
  h_q: u32,
  w_p: u32,
  w_q: u32,
}

override WORKGROUP_SIZE: u32;
// 0: nearest, 1: bilinear.
override METHOD: u32;
// 0: half_pixel, 1: asymmetric, 2: align_corners, 3: pytorch_half_pixel, 4: tf_half_pixel_for_nn.
override COORDINATE_MODE: u32;
// Nearest only. 0: round_prefer_floor, 1: round_prefer_ceil, 2: floor, 3: ceil.
override NEAREST_MODE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// The source coordinate of output coordinate `o` as an exact fraction num / den, below 0 taken as
// 0 (every mode then lands on pixel 0). Fractions of integers, not float32, so that ties (x.5 for
// the rounding modes, whole pixels for floor and ceil) fall as the ONNX formulas say whatever the
// scale; the op checks that no product passes 32 bits.
fn source(o: u32, in_len: u32, out_len: u32, p: u32, q: u32) -> vec2u {
  switch COORDINATE_MODE {
    case 1u: {  // asymmetric: o / scale
      return vec2u(o * p, q);
    }
    case 2u: {  // align_corners: o * (in - 1) / (out - 1), 0 for a single output
      if (out_len == 1u) {
        return vec2u(0u, 1u);
      }
      return vec2u(o * (in_len - 1u), out_len - 1u);
    }
    case 4u: {  // tf_half_pixel_for_nn: (o + 0.5) / scale
      return vec2u((2u * o + 1u) * p, 2u * q);
    }
    default: {  // half_pixel and pytorch_half_pixel (0 for a single output): (o + 0.5) / scale - 0.5
      if (COORDINATE_MODE == 3u && out_len == 1u) {
        return vec2u(0u, 1u);
      }
      let a = (2u * o + 1u) * p;
      return vec2u(select(0u, a - q, a > q), 2u * q);
    }
  }
}

fn nearest(s: vec2u, in_len: u32) -> u32 {
  let whole = s.x / s.y;
  let rem = s.x % s.y;
  var up = false;
  switch NEAREST_MODE {
    case 0u: {
      up = 2u * rem > s.y;
    }
    case 1u: {
      up = 2u * rem >= s.y;
    }
    case 2u: {
      up = false;
    }
    default: {
      up = rem > 0u;
    }
  }
  return min(whole + select(0u, 1u, up), in_len - 1u);
}

// Bilinear taps i0, i1 and the weight of i1, with the coordinate clamped into [0, in_len - 1] as
// onnxruntime does (so the edge pixel repeats); a whole coordinate reads one tap only, so that a
// neighbour with zero weight (even Inf or NaN) cannot touch the result.
struct Taps {
  i0: u32,
  i1: u32,
  t: f32,
}

fn taps(s: vec2u, in_len: u32) -> Taps {
  let whole = s.x / s.y;
  let rem = s.x % s.y;
  if (whole >= in_len - 1u || rem == 0u) {
    let i = min(whole, in_len - 1u);
    return Taps(i, i, 0.0);
  }
  return Taps(whole, whole + 1u, f32(rem) / f32(s.y));
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
  return select(a * (1.0 - t) + b * t, a, t == 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  let ch = params.channels;
  let c = g % ch;
  let pixel = g / ch;
  let ow = pixel % params.out_width;
  let oh = (pixel / params.out_width) % params.out_height;
  let n = pixel / (params.out_width * params.out_height);
  let sy = source(oh, params.in_height, params.out_height, params.h_p, params.h_q);
  let sx = source(ow, params.in_width, params.out_width, params.w_p, params.w_q);
  let base = n * params.in_height;
  var v: f32;
  if (METHOD == 0u) {
    let ih = nearest(sy, params.in_height);
    let iw = nearest(sx, params.in_width);
    v = x[((base + ih) * params.in_width + iw) * ch + c - params.in_shift];
  } else {
    let ty = taps(sy, params.in_height);
    let tx = taps(sx, params.in_width);
    let r0 = (base + ty.i0) * params.in_width;
    let r1 = (base + ty.i1) * params.in_width;
    let top = lerp(x[(r0 + tx.i0) * ch + c - params.in_shift], x[(r0 + tx.i1) * ch + c - params.in_shift], tx.t);
    let bottom = lerp(x[(r1 + tx.i0) * ch + c - params.in_shift], x[(r1 + tx.i1) * ch + c - params.in_shift], tx.t);
    v = lerp(top, bottom, ty.t);
  }
  out[g - params.out_shift] = v;
}
