// reduce_slices for global_pool_tree without subgroups: a shared-memory tree. Lanes l and
// l + stride * qb hold the same channel quad; after log2 of the slice count (rounded up) halvings
// lanes 0..qb-1 hold the result. Any slice count works: a lane whose partner is past the last
// slice keeps its value. Every lane reaches every barrier.
fn reduce_slices(acc: vec4f, lane: u32, qb: u32) -> vec4f {
  let slices = WORKGROUP_SIZE / qb;
  partials[lane] = acc;
  workgroupBarrier();
  var span = 1u;
  while (span < slices) {
    span *= 2u;
  }
  for (var stride = span / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride * qb && lane + stride * qb < slices * qb) {
      partials[lane] = combine(partials[lane], partials[lane + stride * qb]);
    }
    workgroupBarrier();
  }
  return partials[lane];
}
