// The pooling operator of the workgroup-tree kernels (global_pool_tree, global_pool_planes),
// appended by the host with one of reduce_workgroup.wgsl / reduce_subgroup.wgsl, which combine
// `partials` with it. The kernel declares WORKGROUP_SIZE and POOL_MAX.

var<workgroup> partials: array<vec4f, WORKGROUP_SIZE>;

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

/** The pooling operator: sum, or a max that lets NaN win. */
fn combine(a: vec4f, b: vec4f) -> vec4f {
  if (POOL_MAX) {
    return select(a, b, ((b > a) | is_nan4(b)) & !is_nan4(a));
  }
  return a + b;
}
