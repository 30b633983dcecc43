// reduce_slices for global_pool_tree with subgroups: shuffles combine the slices inside each
// subgroup (lanes whose index differs in the bits above qb share a quad), then lanes 0..qb-1 of
// each subgroup leave one partial in shared memory and lanes 0..qb-1 of the workgroup fold those.
// Assumes what every implementation does for a 1-D workgroup: subgroups are runs of consecutive
// local indices; the host only picks this path when qb <= the adapter's smallest subgroup size.
// The host prepends `enable subgroups;` (and silences subgroup_uniformity: the loops below depend
// on the subgroup size, which is uniform within a subgroup, all this needs).
fn reduce_slices(acc: vec4f, lane: u32, qb: u32) -> vec4f {
  // Every lane is active here (the early exit is per workgroup), so this counts the subgroup.
  let size = subgroupAdd(1u);
  var v = acc;
  for (var mask = qb; mask < size; mask *= 2u) {
    v = combine(v, subgroupShuffleXor(v, mask));
  }
  let sub = lane / size;
  if (lane % size < qb) {
    partials[sub * qb + lane % size] = v;
  }
  workgroupBarrier();
  var total = partials[lane % qb];
  for (var s = 1u; s < WORKGROUP_SIZE / size; s++) {
    total = combine(total, partials[s * qb + lane % qb]);
  }
  return total;
}
