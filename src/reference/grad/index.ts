// The CPU reference of the backward kernels (reference.grad.<op>): plain loops, the source of
// truth for every GPU gradient, themselves checked against finite differences and tf.grads.
export { adamUpdate, sgdUpdate } from './optimizer.js';
