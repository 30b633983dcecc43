// The CPU reference of the backward kernels (reference.grad.<op>): plain loops, the source of
// truth for every GPU gradient, themselves checked against finite differences and tf.grads.
export { adamUpdate, sgdUpdate } from './optimizer.js';
export { conv2dBackpropInput, conv2dBackpropFilter, biasBackward } from './conv.js';
export { maxPool2dBackward, avgPool2dBackward } from './pool.js';
export { dropout, dropoutBackward } from './dropout.js';
export { batchNormTraining, batchNormBackward } from './batchnorm.js';
export { denseBackward } from './dense.js';
export { activationBackward } from './activation.js';
export { binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy, meanSquaredError, accuracy } from './loss.js';
export { reduceToShape, globalAvgPool2dBackward, globalMaxPool2dBackward, split } from './reduce.js';
