// reduce_axes: sum, mean, max or min over any axes of a tensor of up to six dimensions (right-
// aligned, leading axes of 1). The output is x's shape with every reduced axis as 1 (o0..o5; the
// memory order with or without keepDims); each output coordinate steps x by os (0 along reduced
// axes). The reduced cells form a box r0..r5 with steps rs, walked by six nested loops (no
// divisions per element). One invocation per output element; the input is bound over the span its
// chunk reads (in_shift).

struct Params {
  total: u32,
  row_pitch: u32,
  out_start: u32,  // first output element of this chunk (ops split to fit binding limits)
  in_shift: u32,   // elements before the bound input range
  out_shift: u32,  // elements before the bound output range
  o0: u32, o1: u32, o2: u32, o3: u32, o4: u32, o5: u32,
  os0: u32, os1: u32, os2: u32, os3: u32, os4: u32, os5: u32,
  r0: u32, r1: u32, r2: u32, r3: u32, r4: u32, r5: u32,
  rs0: u32, rs1: u32, rs2: u32, rs3: u32, rs4: u32, rs5: u32,
  count: u32,      // cells per output (the mean divides by it)
  neg_inf_bits: u32,
}

override WORKGROUP_SIZE: u32;
// 0 sum, 1 mean, 2 max, 3 min (max and min: NaN wins).
override OP: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

// Integer tests: compilers may assume float comparisons never see NaN.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn fold(acc: f32, v: f32) -> f32 {
  if (OP == 2u) {
    return select(acc, v, is_nan(v) || v > acc);
  }
  if (OP == 3u) {
    return select(acc, v, is_nan(v) || v < acc);
  }
  return acc + v;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let g = i + params.out_start;
  var rest = g;
  var base = 0u;
  var c = rest % params.o5; rest = rest / params.o5; base += c * params.os5;
  c = rest % params.o4; rest = rest / params.o4; base += c * params.os4;
  c = rest % params.o3; rest = rest / params.o3; base += c * params.os3;
  c = rest % params.o2; rest = rest / params.o2; base += c * params.os2;
  c = rest % params.o1; rest = rest / params.o1; base += c * params.os1;
  base += rest * params.os0;
  var acc = 0.0;
  if (OP == 2u) {
    acc = bitcast<f32>(params.neg_inf_bits);
  } else if (OP == 3u) {
    acc = bitcast<f32>(params.neg_inf_bits ^ 0x80000000u);
  }
  let start = base - params.in_shift;
  for (var a0 = 0u; a0 < params.r0; a0++) {
    let i0 = start + a0 * params.rs0;
    for (var a1 = 0u; a1 < params.r1; a1++) {
      let i1 = i0 + a1 * params.rs1;
      for (var a2 = 0u; a2 < params.r2; a2++) {
        let i2 = i1 + a2 * params.rs2;
        for (var a3 = 0u; a3 < params.r3; a3++) {
          let i3 = i2 + a3 * params.rs3;
          for (var a4 = 0u; a4 < params.r4; a4++) {
            let i4 = i3 + a4 * params.rs4;
            for (var a5 = 0u; a5 < params.r5; a5++) {
              acc = fold(acc, x[i4 + a5 * params.rs5]);
            }
          }
        }
      }
    }
  }
  if (OP == 1u) {
    acc = acc / f32(params.count);
  }
  out[g - params.out_shift] = acc;
}
