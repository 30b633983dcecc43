// reduce_slices for global_pool_tree without subgroups: a shared-memory tree. Lanes l and
// l + stride * qb hold the same channel quad; after log2(slices) halvings lanes 0..qb-1 hold the
// result. Every lane reaches every barrier.
fn reduce_slices(acc: vec4f, lane: u32, qb: u32) -> vec4f {
  partials[lane] = acc;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / qb / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride * qb) {
      partials[lane] = combine(partials[lane], partials[lane + stride * qb]);
    }
    workgroupBarrier();
  }
  return partials[lane];
}
