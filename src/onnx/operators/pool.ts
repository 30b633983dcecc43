// ONNX window and global pooling.
import * as reference from '../../reference/index.js';
import { shapeToString } from '../../ops/args.js';
import { globalPoolOutShape } from '../../ops/global-pool.js';
import { poolGeometry, poolOutShape, type PoolOptions } from '../../ops/pool.js';
import { fail, checked, dynamic, onlyOutput, pair, spatialPads, type Handler } from '../node.js';

export function pool(type: 'MAX' | 'AVG'): Handler {
  return (c) => {
    const known = ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'strides'];
    c.attrs.only(type === 'MAX' ? [...known, 'storage_order'] : [...known, 'count_include_pad']);
    onlyOutput(c);
    const x = dynamic(c, 0, 'X');
    if (x.shape.length !== 4) fail(c, `only 1-D and 2-D pooling are supported (input of rank 3 or 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
    const ks = c.attrs.ints('kernel_shape');
    if (!ks) fail(c, 'kernel_shape is required');
    const kernel = pair(c, 'kernel_shape', ks, 1);
    const strides = pair(c, 'strides', c.attrs.ints('strides'), 1);
    const dilations = pair(c, 'dilations', c.attrs.ints('dilations'), 1);
    const same = c.attrs.string('auto_pad', 'NOTSET').startsWith('SAME');
    if (same && (dilations[0] > 1 || dilations[1] > 1)) {
      // The ONNX spec pads for the dilated window (output ceil(in / stride)); ONNX Runtime pads for the
      // undilated one and gets another output size. Rather than pick one, ask for explicit pads.
      fail(c, `auto_pad ${c.attrs.string('auto_pad', '')} with dilations [${dilations.join(',')}] is not supported (ONNX Runtime and the ONNX spec disagree on its padding); give explicit pads`);
    }
    const padding = spatialPads(c, x.shape.slice(2), kernel, strides, dilations);
    // With SAME the output is ceil(in / stride) whatever ceil_mode says.
    const options: PoolOptions = {
      poolSize: kernel, strides, dilations, padding, dataFormat: 'NCHW',
      ceilMode: !same && c.attrs.int('ceil_mode', 0) !== 0,
      ...(type === 'AVG' ? { countIncludePad: c.attrs.int('count_include_pad', 0) !== 0 } : {}),
    };
    const g = checked(c, () => poolGeometry(type === 'MAX' ? 'maxPool2d' : 'avgPool2d', x.shape, options));
    const notes = [
      options.ceilMode ? 'ceil_mode' : '',
      options.countIncludePad ? 'count_include_pad' : '',
    ].filter(Boolean);
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: notes.join(', '), weights: [],
        args: [{ value: x.name }], shape: poolOutShape(g),
        gpu: (e, [t]) => (type === 'MAX' ? e.maxPool2d(t, options) : e.avgPool2d(t, options)),
        cpu: ([h]) => (type === 'MAX' ? reference.maxPool2d(h, options) : reference.avgPool2d(h, options)),
      },
    };
  };
}

export function globalPool(type: 'MAX' | 'AVG'): Handler {
  return (c) => {
    c.attrs.only([]);
    const x = dynamic(c, 0, 'X');
    if (x.shape.length !== 4) fail(c, `only 2-D global pooling is supported (input of rank 4, NCHW); input '${x.name}' has shape ${shapeToString(x.shape)}`);
    const options = { keepDims: true, dataFormat: 'NCHW' } as const;
    return {
      step: {
        name: c.name, opType: c.opType, output: c.outputs[0], note: '', weights: [],
        args: [{ value: x.name }], shape: globalPoolOutShape(x.shape, 'globalPool', true, 'NCHW'),
        gpu: (e, [t]) => (type === 'MAX' ? e.globalMaxPool2d(t, options) : e.globalAvgPool2d(t, options)),
        cpu: ([h]) => (type === 'MAX' ? reference.globalMaxPool2d(h, options) : reference.globalAvgPool2d(h, options)),
      },
    };
  };
}
