// The kernel registry: one plain descriptor per WGSL kernel (see KernelDef in src/gpu/program.ts).
// Adding a kernel is one import and one line here; its op file builds the Programs that use it.
import avgPoolWgsl from '../../shaders/avg_pool2d.wgsl?raw';
import broadcastBinaryWgsl from '../../shaders/broadcast_binary.wgsl?raw';
import broadcastBinaryVec4Wgsl from '../../shaders/broadcast_binary_vec4.wgsl?raw';
import clipWgsl from '../../shaders/clip.wgsl?raw';
import concatWgsl from '../../shaders/concat.wgsl?raw';
import concatPlaceWgsl from '../../shaders/concat_place.wgsl?raw';
import conv2dWgsl from '../../shaders/conv2d.wgsl?raw';
import convBlockWgsl from '../../shaders/conv2d_block.wgsl?raw';
import convPointwiseWgsl from '../../shaders/conv2d_pointwise.wgsl?raw';
import convPointwiseNchwWgsl from '../../shaders/conv2d_pointwise_nchw.wgsl?raw';
import conv2dNchwBlockWgsl from '../../shaders/conv2d_nchw_block.wgsl?raw';
import depthwiseConv2dNchwWgsl from '../../shaders/depthwise_conv2d_nchw.wgsl?raw';
import depthwiseConv2dWgsl from '../../shaders/depthwise_conv2d.wgsl?raw';
import copyWgsl from '../../shaders/copy.wgsl?raw';
import denseWgsl from '../../shaders/dense.wgsl?raw';
import globalAvgPoolWgsl from '../../shaders/global_avg_pool2d.wgsl?raw';
import globalMaxPoolWgsl from '../../shaders/global_max_pool2d.wgsl?raw';
import globalPlanesWgsl from '../../shaders/global_pool_planes.wgsl?raw';
import globalContiguousWgsl from '../../shaders/global_pool_contiguous.wgsl?raw';
import globalTreeWgsl from '../../shaders/global_pool_tree.wgsl?raw';
import leakyReluWgsl from '../../shaders/leaky_relu.wgsl?raw';
import maxPoolWgsl from '../../shaders/max_pool2d.wgsl?raw';
import maxUnpoolGatherWgsl from '../../shaders/max_unpool2d_gather.wgsl?raw';
import maxUnpoolScatterWgsl from '../../shaders/max_unpool2d_scatter.wgsl?raw';
import poolColsWgsl from '../../shaders/pool2d_cols.wgsl?raw';
import poolVec4Wgsl from '../../shaders/pool2d_vec4.wgsl?raw';
import reduceCombineWgsl from '../../shaders/reduce_combine.wgsl?raw';
import reduceSubgroupWgsl from '../../shaders/reduce_subgroup.wgsl?raw';
import reduceWorkgroupWgsl from '../../shaders/reduce_workgroup.wgsl?raw';
import reluWgsl from '../../shaders/relu.wgsl?raw';
import resize2dWgsl from '../../shaders/resize2d.wgsl?raw';
import sigmoidWgsl from '../../shaders/sigmoid.wgsl?raw';
import softmaxWgsl from '../../shaders/softmax.wgsl?raw';
import transposeWgsl from '../../shaders/transpose.wgsl?raw';
import unaryWgsl from '../../shaders/unary.wgsl?raw';
import zeroPad2dWgsl from '../../shaders/zero_pad2d.wgsl?raw';
import optimizerUpdateWgsl from '../../shaders/optimizer_update.wgsl?raw';
import conv2dTransposeWgsl from '../../shaders/conv2d_transpose.wgsl?raw';
import conv2dTranspose2x2NchwWgsl from '../../shaders/conv2d_transpose_2x2_nchw.wgsl?raw';
import equalWgsl from '../../shaders/equal.wgsl?raw';
import padWgsl from '../../shaders/pad.wgsl?raw';
import reduceAxesWgsl from '../../shaders/reduce_axes.wgsl?raw';
import sliceWgsl from '../../shaders/slice.wgsl?raw';
import gatherWgsl from '../../shaders/gather.wgsl?raw';
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
// backward/dense.ts, activation.ts, loss.ts, reduce.ts
import accuracyWgsl from '../../shaders/accuracy.wgsl?raw';
import activationBackwardWgsl from '../../shaders/activation_backward.wgsl?raw';
import concatBackwardWgsl from '../../shaders/concat_backward.wgsl?raw';
import denseBackwardDataWgsl from '../../shaders/dense_backward_data.wgsl?raw';
import denseBackwardWeightsWgsl from '../../shaders/dense_backward_weights.wgsl?raw';
import globalAvgPoolBackwardWgsl from '../../shaders/global_avg_pool_backward.wgsl?raw';
import globalMaxPoolBackwardWgsl from '../../shaders/global_max_pool_backward.wgsl?raw';
import lossElementwiseWgsl from '../../shaders/loss_elementwise.wgsl?raw';
import lossRowsWgsl from '../../shaders/loss_rows.wgsl?raw';
import softmaxBackwardWgsl from '../../shaders/softmax_backward.wgsl?raw';
import sumOverRowsWgsl from '../../shaders/sum_over_rows.wgsl?raw';
// backward/conv.ts, pool.ts, dropout.ts, batchnorm.ts
import avgPoolBackwardWgsl from '../../shaders/avg_pool2d_backward.wgsl?raw';
import batchNormApplyWgsl from '../../shaders/batch_norm_apply.wgsl?raw';
import batchNormBackwardWgsl from '../../shaders/batch_norm_backward.wgsl?raw';
import channelSumsWgsl from '../../shaders/channel_sums.wgsl?raw';
import conv2dBackpropFilterWgsl from '../../shaders/conv2d_backprop_filter.wgsl?raw';
import conv2dBackpropFilterTilesWgsl from '../../shaders/conv2d_backprop_filter_tiles.wgsl?raw';
import conv2dFilterFlipWgsl from '../../shaders/conv2d_filter_flip.wgsl?raw';
import conv2dBackpropInputWgsl from '../../shaders/conv2d_backprop_input.wgsl?raw';
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import dropoutBackwardWgsl from '../../shaders/dropout_backward.wgsl?raw';
import maxPoolBackwardWindowsWgsl from '../../shaders/max_pool2d_backward_windows.wgsl?raw';
import maxPoolBackwardWgsl from '../../shaders/max_pool2d_backward.wgsl?raw';
import movingAverageWgsl from '../../shaders/moving_average.wgsl?raw';
import sumSlicesWgsl from '../../shaders/sum_slices.wgsl?raw';
import convPointwiseTilesWgsl from '../../shaders/conv2d_pointwise_tiles.wgsl?raw';
import convActivationWgsl from '../../shaders/conv_activation.wgsl?raw';
import type { KernelDef } from '../gpu/program.js';

// The tree kernels come in two ways to combine their slices: WGSL needs `enable subgroups`
// before any declaration, and only adapters with the feature may see it.
const workgroupTree = (body: string) => `${body}\n${reduceCombineWgsl}\n${reduceWorkgroupWgsl}`;
// The conv kernels' fused activations (relu, relu6, hard swish and their NaN rules), one
// definition appended to each kernel that writes through one.
const withActivation = (body: string) => `${body}\n${convActivationWgsl}`;
const subgroupTree = (body: string) => `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${body}\n${reduceCombineWgsl}\n${reduceSubgroupWgsl}`;

export const kernels = {
  // conv2d.ts
  conv2d: { name: 'conv2d', shader: withActivation(conv2dWgsl), inputs: ['x', 'filter', 'bias'] },
  conv2dBlock: { name: 'conv2d_block', shader: withActivation(convBlockWgsl), inputs: ['x', 'filter', 'bias'] },
  conv2dPointwise: { name: 'conv2d_pointwise', shader: withActivation(convPointwiseWgsl), inputs: ['x', 'filter', 'bias'] },
  conv2dPointwiseTiles: { name: 'conv2d_pointwise_tiles', shader: withActivation(convPointwiseTilesWgsl), inputs: ['x', 'filter', 'bias'] },
  conv2dPointwiseNchw: { name: 'conv2d_pointwise_nchw', shader: withActivation(convPointwiseNchwWgsl), inputs: ['x', 'filter', 'bias'] },
  conv2dNchwBlock: { name: 'conv2d_nchw_block', shader: withActivation(conv2dNchwBlockWgsl), inputs: ['x', 'filter', 'bias'] },
  depthwiseConv2dNchw: { name: 'depthwise_conv2d_nchw', shader: withActivation(depthwiseConv2dNchwWgsl), inputs: ['x', 'filter', 'bias'] },
  depthwiseConv2d: { name: 'depthwise_conv2d', shader: withActivation(depthwiseConv2dWgsl), inputs: ['x', 'filter', 'bias'] },
  // pool.ts
  maxPool2d: { name: 'max_pool2d', shader: maxPoolWgsl, inputs: ['x'] },
  avgPool2d: { name: 'avg_pool2d', shader: avgPoolWgsl, inputs: ['x'] },
  pool2dVec4: { name: 'pool2d_vec4', shader: poolVec4Wgsl, inputs: ['x'] },
  pool2dCols: { name: 'pool2d_cols', shader: poolColsWgsl, inputs: ['x'] },
  maxUnpoolScatter: { name: 'max_unpool2d_scatter', shader: maxUnpoolScatterWgsl, inputs: ['indices'] },
  maxUnpoolGather: { name: 'max_unpool2d_gather', shader: maxUnpoolGatherWgsl, inputs: ['winner', 'values'] },
  // global-pool.ts
  globalPoolTree: { name: 'global_pool_tree', shader: workgroupTree(globalTreeWgsl), inputs: ['x'] },
  globalPoolTreeSubgroups: { name: 'global_pool_tree_subgroups', shader: subgroupTree(globalTreeWgsl), inputs: ['x'] },
  globalPoolContiguous: { name: 'global_pool_contiguous', shader: globalContiguousWgsl, inputs: ['x'] },
  globalPoolPlanes: { name: 'global_pool_planes', shader: workgroupTree(globalPlanesWgsl), inputs: ['x'] },
  globalPoolPlanesSubgroups: { name: 'global_pool_planes_subgroups', shader: subgroupTree(globalPlanesWgsl), inputs: ['x'] },
  globalAvgPool2d: { name: 'global_avg_pool2d', shader: globalAvgPoolWgsl, inputs: ['x'] },
  globalMaxPool2d: { name: 'global_max_pool2d', shader: globalMaxPoolWgsl, inputs: ['x'] },
  // elementwise.ts
  relu: { name: 'relu', shader: reluWgsl, inputs: ['x'] },
  leakyRelu: { name: 'leaky_relu', shader: leakyReluWgsl, inputs: ['x'] },
  clip: { name: 'clip', shader: clipWgsl, inputs: ['x'] },
  sigmoid: { name: 'sigmoid', shader: sigmoidWgsl, inputs: ['x'] },
  // unary.ts
  unary: { name: 'unary', shader: unaryWgsl, inputs: ['x'] },
  // dense.ts, softmax.ts
  dense: { name: 'dense', shader: denseWgsl, inputs: ['x', 'weights', 'bias'] },
  softmax: { name: 'softmax', shader: softmaxWgsl, inputs: ['x'] },
  // layout.ts
  copy: { name: 'copy', shader: copyWgsl, inputs: ['x'] },
  zeroPad2d: { name: 'zero_pad2d', shader: zeroPad2dWgsl, inputs: ['x'] },
  concat: { name: 'concat', shader: concatWgsl, inputs: ['a', 'b'] },
  concatPlace: { name: 'concat_place', shader: concatPlaceWgsl, inputs: ['x'] },
  // transpose.ts, resize.ts
  transpose: { name: 'transpose', shader: transposeWgsl, inputs: ['x'] },
  resize2d: { name: 'resize2d', shader: resize2dWgsl, inputs: ['x'] },
  // broadcast.ts
  broadcastBinary: { name: 'broadcast_binary', shader: broadcastBinaryWgsl, inputs: ['a', 'b'] },
  broadcastBinaryVec4: { name: 'broadcast_binary_vec4', shader: broadcastBinaryVec4Wgsl, inputs: ['a', 'b'] },
  // conv-transpose.ts, pad.ts, slice.ts, reduce.ts, compare.ts
  conv2dTranspose: { name: 'conv2d_transpose', shader: withActivation(conv2dTransposeWgsl), inputs: ['x', 'filter', 'bias'] },
  conv2dTranspose2x2Nchw: { name: 'conv2d_transpose_2x2_nchw', shader: withActivation(conv2dTranspose2x2NchwWgsl), inputs: ['x', 'filter', 'bias'] },
  pad: { name: 'pad', shader: padWgsl, inputs: ['x'] },
  slice: { name: 'slice', shader: sliceWgsl, inputs: ['x'] },
  gather: { name: 'gather', shader: gatherWgsl, inputs: ['x', 'indices'] },
  reduceAxes: { name: 'reduce_axes', shader: reduceAxesWgsl, inputs: ['x'] },
  equal: { name: 'equal', shader: equalWgsl, inputs: ['a', 'b'] },
  // matmul.ts
  matmul: { name: 'matmul', shader: matmulWgsl, inputs: ['a', 'b'] },
  // backward/optimizer.ts
  optimizerUpdate: { name: 'optimizer_update', shader: optimizerUpdateWgsl, inputs: ['grad', 'weight', 'slot1', 'slot2'] },
  // backward/dense.ts
  denseBackwardData: { name: 'dense_backward_data', shader: denseBackwardDataWgsl, inputs: ['dy', 'weights'] },
  denseBackwardWeights: { name: 'dense_backward_weights', shader: denseBackwardWeightsWgsl, inputs: ['x', 'dy'] },
  // backward/activation.ts
  activationBackward: { name: 'activation_backward', shader: activationBackwardWgsl, inputs: ['input', 'dy'] },
  softmaxBackward: { name: 'softmax_backward', shader: softmaxBackwardWgsl, inputs: ['y', 'dy'] },
  // backward/loss.ts (two outputs: dPred, then the per-element or per-row terms)
  lossElementwise: { name: 'loss_elementwise', shader: lossElementwiseWgsl, inputs: ['yTrue', 'yPred'] },
  lossRows: { name: 'loss_rows', shader: lossRowsWgsl, inputs: ['yTrue', 'yPred'] },
  accuracy: { name: 'accuracy', shader: accuracyWgsl, inputs: ['yTrue', 'yPred'] },
  // backward/reduce.ts
  sumOverRows: { name: 'sum_over_rows', shader: sumOverRowsWgsl, inputs: ['x'] },
  globalAvgPoolBackward: { name: 'global_avg_pool_backward', shader: globalAvgPoolBackwardWgsl, inputs: ['dy'] },
  globalMaxPoolBackward: { name: 'global_max_pool_backward', shader: globalMaxPoolBackwardWgsl, inputs: ['x', 'pooled', 'dy', 'counts'] },
  concatBackward: { name: 'concat_backward', shader: concatBackwardWgsl, inputs: ['x'] },
  // backward/conv.ts (sliced reductions: channel_sums or conv2d_backprop_filter, then sum_slices)
  conv2dBackpropInput: { name: 'conv2d_backprop_input', shader: conv2dBackpropInputWgsl, inputs: ['dy', 'filter'] },
  conv2dBackpropFilter: { name: 'conv2d_backprop_filter', shader: conv2dBackpropFilterWgsl, inputs: ['x', 'dy'] },
  conv2dFilterFlip: { name: 'conv2d_filter_flip', shader: conv2dFilterFlipWgsl, inputs: ['filter'] },
  conv2dBackpropFilterTiles: { name: 'conv2d_backprop_filter_tiles', shader: conv2dBackpropFilterTilesWgsl, inputs: ['x', 'dy'] },
  channelSums: { name: 'channel_sums', shader: channelSumsWgsl, inputs: ['a', 'b', 'mean', 'variance'] },
  sumSlices: { name: 'sum_slices', shader: sumSlicesWgsl, inputs: ['partials'] },
  // backward/pool.ts
  maxPool2dBackward: { name: 'max_pool2d_backward', shader: maxPoolBackwardWgsl, inputs: ['dy', 'indices'] },
  maxPool2dBackwardWindows: { name: 'max_pool2d_backward_windows', shader: maxPoolBackwardWindowsWgsl, inputs: ['x', 'dy'] },
  avgPool2dBackward: { name: 'avg_pool2d_backward', shader: avgPoolBackwardWgsl, inputs: ['dy'] },
  // backward/dropout.ts (dropout: two outputs, y then the mask)
  dropout: { name: 'dropout', shader: dropoutWgsl, inputs: ['x'] },
  dropoutBackward: { name: 'dropout_backward', shader: dropoutBackwardWgsl, inputs: ['dy', 'mask'] },
  // backward/batchnorm.ts
  batchNormApply: { name: 'batch_norm_apply', shader: batchNormApplyWgsl, inputs: ['x', 'mean', 'variance', 'gamma', 'beta'] },
  batchNormBackward: { name: 'batch_norm_backward', shader: batchNormBackwardWgsl, inputs: ['x', 'dy', 'mean', 'variance', 'gamma', 'dBeta', 'dGamma'] },
  movingAverage: { name: 'moving_average', shader: movingAverageWgsl, inputs: ['moving', 'batch'] },
} as const satisfies Record<string, KernelDef>;
