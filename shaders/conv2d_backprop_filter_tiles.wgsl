// conv2d_backprop_filter_tiles, pass 1 of 2 (NHWC, groups 1, Cout % 4 == 0): partial sums of
// the filter gradient as conv2d_backprop_filter.wgsl computes them, a tile of filter elements per
// invocation instead of one: CI_TILE input channels (4 when Cin % 4 == 0, else 1) x CO_TILE
// output channels (8 when Cout % 8 == 0, else 4) of one tap (kh, kw). Each position of the slice
// then costs CI_TILE x loads and CO_TILE / 4 vec4 dy loads for CI_TILE * CO_TILE multiply-adds,
// where the scalar kernel pays two loads for one. The slice is walked one output row at a time,
// with the columns whose tap lands inside the input found up front, so the inner loop is loads,
// multiply-adds and two pointer steps.
// That ratio is what counts on both kinds of adapter: SwiftShader pays per load (each lane's load
// is a gather), and a GPU's reduction over N*OH*OW is bound by memory traffic.
//
// Tiles are numbered output-channel tile fastest, then input-channel tile, then kw, then kh, so
// neighbouring invocations read the same x values (a broadcast on GPUs) and neighbouring dy tiles
// (coalesced). Partial results lie [slice][filter element] in HWIO order as the scalar kernel's,
// so sum_slices.wgsl adds them up unchanged.

struct Params {
  total: u32,      // tiles this chunk computes
  row_pitch: u32,
  out_start: u32,  // first tile of this chunk: first slice * tiles per filter
  in_shift: u32,   // elements before the bound x range
  out_shift: u32,  // elements before the bound range of partial results
  in_height: u32,
  in_width: u32,
  in_channels: u32,
  out_height: u32,
  out_width: u32,
  out_channels: u32,
  kernel_height: u32,
  kernel_width: u32,
  stride_height: u32,
  stride_width: u32,
  dilation_height: u32,
  dilation_width: u32,
  pad_top: u32,
  pad_left: u32,
  groups: u32,
  per_slice: u32,   // output positions per slice
  positions: u32,   // N * OH * OW
  dy_shift: u32,    // elements before the bound dy range (a multiple of 8: bindings start aligned)
}

override WORKGROUP_SIZE: u32;
// Input channels per tile: 4 or 1.
override CI_TILE: u32;
// Output channels per tile: 8 or 4.
override CO_TILE: u32;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partials: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + (gid.y + gid.z * groups.y) * params.row_pitch;
  if (i >= params.total) {
    return;
  }
  let t = i + params.out_start;
  let cin = params.in_channels;
  let cout = params.out_channels;
  let co_tiles = cout / CO_TILE;
  let ci_tiles = cin / CI_TILE;
  let per_filter = params.kernel_height * params.kernel_width * ci_tiles * co_tiles;
  let slice = t / per_filter;
  let f = t % per_filter;
  let co = (f % co_tiles) * CO_TILE;
  let ci = ((f / co_tiles) % ci_tiles) * CI_TILE;
  let tap = f / (co_tiles * ci_tiles);
  let kw = tap % params.kernel_width;
  let kh = tap / params.kernel_width;
  let p1 = min((slice + 1u) * params.per_slice, params.positions);
  let row_off = i32(kh * params.dilation_height) - i32(params.pad_top);
  let col_off = i32(kw * params.dilation_width) - i32(params.pad_left);
  let sw = i32(params.stride_width);
  // Output columns whose tap column ow * sw + col_off lies in [0, W): [ow_first, ow_end).
  let ow_first = u32(max((-col_off + sw - 1) / sw, 0));
  let span = i32(params.in_width) - 1 - col_off;  // (WGSL's division truncates: test the sign first)
  let ow_end = select(0u, u32(min(span / sw + 1, i32(params.out_width))), span >= 0);
  let quads = cout / 4u;
  let x_step = params.stride_width * cin;
  // a<j>: input channel ci + j, output channels co..co+3; b<j>: co+4..co+7.
  var a0 = vec4f(0.0);
  var a1 = vec4f(0.0);
  var a2 = vec4f(0.0);
  var a3 = vec4f(0.0);
  var b0 = vec4f(0.0);
  var b1 = vec4f(0.0);
  var b2 = vec4f(0.0);
  var b3 = vec4f(0.0);
  for (var p = slice * params.per_slice; p < p1;) {
    let ow0 = p % params.out_width;
    let r = p / params.out_width;
    let row_end = min(p1, p - ow0 + params.out_width);
    let ih = i32((r % params.out_height) * params.stride_height) + row_off;
    if (ih >= 0 && ih < i32(params.in_height)) {
      let lo = max(ow0, ow_first);
      let hi = min(ow0 + row_end - p, ow_end);
      let n = r / params.out_height;
      var xi = i32(((n * params.in_height + u32(ih)) * params.in_width) * cin + ci) + (i32(lo) * sw + col_off) * i32(cin) - i32(params.in_shift);
      var di = ((r * params.out_width + lo) * cout + co - params.dy_shift) / 4u;
      for (var ow = lo; ow < hi; ow++) {
        let d = dy[di];
        let x0 = x[xi];
        a0 += x0 * d;
        if (CI_TILE == 4u) {
          let x1 = x[xi + 1];
          let x2 = x[xi + 2];
          let x3 = x[xi + 3];
          a1 += x1 * d;
          a2 += x2 * d;
          a3 += x3 * d;
          if (CO_TILE == 8u) {
            let e = dy[di + 1u];
            b0 += x0 * e;
            b1 += x1 * e;
            b2 += x2 * e;
            b3 += x3 * e;
          }
        } else if (CO_TILE == 8u) {
          b0 += x0 * dy[di + 1u];
        }
        xi += i32(x_step);
        di += quads;
      }
    }
    p = row_end;
  }
  // Row ci + j of the tap holds output channels co..co+CO_TILE-1: one or two vec4s each.
  let e = ((slice * params.kernel_height * params.kernel_width * cin + tap * cin + ci) * cout + co - params.out_shift) / 4u;
  let row = cout / 4u;
  partials[e] = a0;
  if (CO_TILE == 8u) {
    partials[e + 1u] = b0;
  }
  if (CI_TILE == 4u) {
    partials[e + row] = a1;
    partials[e + 2u * row] = a2;
    partials[e + 3u * row] = a3;
    if (CO_TILE == 8u) {
      partials[e + row + 1u] = b1;
      partials[e + 2u * row + 1u] = b2;
      partials[e + 3u * row + 1u] = b3;
    }
  }
}
