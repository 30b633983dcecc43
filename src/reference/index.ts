// The CPU reference: one plain-loop function per op, the source of truth for every GPU result.
export { conv2d } from './conv2d.js';
export { relu } from './relu.js';
export { maxPool2d } from './max-pool.js';
export { avgPool2d } from './avg-pool.js';
export { pool } from './pool.js';
export { maxPool2dWithIndices } from './max-pool-with-indices.js';
export { maxUnpool2d } from './max-unpool.js';
export { globalAvgPool2d } from './global-avg-pool.js';
export { globalMaxPool2d } from './global-max-pool.js';
export { dense } from './dense.js';
export { sigmoid } from './sigmoid.js';
export { softmax } from './softmax.js';
export { reshape, flatten } from './reshape.js';
export { zeroPad2d } from './zero-pad.js';
export type { HostTensor } from './types.js';
export type { ReferenceConv2dOptions } from './conv2d.js';
export type { ReferenceDenseOptions } from './dense.js';
