// pad: ONNX Pad over up to six axes (right-aligned, leading axes of 1). Per axis: the output
// length, the cells added before the kept input, the first kept input index and how many are kept
// (negative pads crop: the crop first, then the padding around what is left, as onnxruntime), and
// x's element stride. Each output coordinate maps to an input coordinate by MODE, or to the
// constant padding. One invocation per output element; the input is bound over the span its chunk
// reads (in_shift).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  out0: u32, before0: i32, lo0: i32, len0: i32, stride0: u32,
  out1: u32, before1: i32, lo1: i32, len1: i32, stride1: u32,
  out2: u32, before2: i32, lo2: i32, len2: i32, stride2: u32,
  out3: u32, before3: i32, lo3: i32, len3: i32, stride3: u32,
  out4: u32, before4: i32, lo4: i32, len4: i32, stride4: u32,
  out5: u32, before5: i32, lo5: i32, len5: i32, stride5: u32,
  value_bits: u32,  // the constant mode's value, as f32 bits (NaN and infinities allowed)
}

override WORKGROUP_SIZE: u32;
// 0 constant, 1 reflect (mirror, the edge cell not repeated), 2 edge (repeat it), 3 wrap (periodic).
override MODE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// The kept input index output coordinate `o` reads along one axis (from 0: add lo), or -1.
fn source(o: i32, before: i32, lo: i32, len: i32) -> i32 {
  let i = o - before;
  if (i >= 0 && i < len) {
    return lo + i;
  }
  if (MODE == 0u) {
    return -1;
  }
  if (MODE == 2u) {
    return lo + clamp(i, 0, len - 1);
  }
  if (MODE == 3u) {
    return lo + ((i % len) + len) % len;
  }
  if (len == 1) {
    return lo;
  }
  let period = 2 * (len - 1);
  let m = abs(i) % period;
  return lo + select(period - m, m, m < len);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  // Peel the output coordinates off, last dimension first.
  var rest = g;
  var xi = 0u;
  var inside = true;
  var c: u32;
  var s: i32;
  c = rest % params.out5; rest = rest / params.out5;
  s = source(i32(c), params.before5, params.lo5, params.len5); inside = inside && s >= 0; xi += u32(max(s, 0)) * params.stride5;
  c = rest % params.out4; rest = rest / params.out4;
  s = source(i32(c), params.before4, params.lo4, params.len4); inside = inside && s >= 0; xi += u32(max(s, 0)) * params.stride4;
  c = rest % params.out3; rest = rest / params.out3;
  s = source(i32(c), params.before3, params.lo3, params.len3); inside = inside && s >= 0; xi += u32(max(s, 0)) * params.stride3;
  c = rest % params.out2; rest = rest / params.out2;
  s = source(i32(c), params.before2, params.lo2, params.len2); inside = inside && s >= 0; xi += u32(max(s, 0)) * params.stride2;
  c = rest % params.out1; rest = rest / params.out1;
  s = source(i32(c), params.before1, params.lo1, params.len1); inside = inside && s >= 0; xi += u32(max(s, 0)) * params.stride1;
  c = rest;
  s = source(i32(c), params.before0, params.lo0, params.len0); inside = inside && s >= 0; xi += u32(max(s, 0)) * params.stride0;
  var v = bitcast<f32>(params.value_bits);
  if (inside) {
    v = x[xi - params.in_shift];
  }
  out[g - params.out_shift] = v;
}
