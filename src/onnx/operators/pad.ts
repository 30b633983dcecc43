// ONNX Pad (opsets 2, 11, 13, 18, 19, 21, 23, 24) on the engine's pad: pads as an attribute before
// opset 11, then as a constant input (with constant_value, and axes from opset 18); modes constant,
// reflect, edge, and wrap from opset 19. Constants fold; pads of zeros are the identity.
import * as reference from '../../reference/index.js';
import { padGeometry, type PadMode, type PadOptions } from '../../ops/pad.js';
import { checked, constant, fail, input, onlyOutput, type Handler } from '../node.js';

export const pad: Handler = (c) => {
  onlyOutput(c);
  const x = input(c, 0, 'data');
  const r = x.shape.length;
  const mode = c.attrs.string('mode', 'constant');
  const modes = c.opset >= 19 ? ['constant', 'reflect', 'edge', 'wrap'] : ['constant', 'reflect', 'edge'];
  if (!modes.includes(mode)) fail(c, `mode '${mode}' is not supported at opset ${c.opset}; Pad takes ${modes.join(', ')}`);
  let pads: number[];
  let value = 0;
  if (c.opset < 11) {
    c.attrs.only(['mode', 'pads', 'value']);
    pads = c.attrs.ints('pads') ?? fail(c, 'the pads attribute is required');
    value = c.attrs.float('value', 0);
  } else {
    c.attrs.only(['mode']);
    const p = constant(c, 1, 'pads');
    if (!p.ints) fail(c, 'pads must be an INT64 tensor');
    if (p.inexact) fail(c, 'pads holds an int64 value beyond 2^53');
    pads = p.ints!;
    const v = c.inputs[2] ? constant(c, 2, 'constant_value') : null;
    if (v) {
      if (v.data.length !== 1) fail(c, `constant_value must be a scalar (one value), got shape [${v.shape.join(',')}]`);
      value = v.data[0];
    }
    const a = c.inputs[3] ? constant(c, 3, 'axes') : null;
    if (a) {
      if (c.opset < 18) fail(c, `input 3 (axes) is an opset 18 input; the model imports opset ${c.opset}`);
      const axes = (a.ints ?? fail(c, 'axes must be an integer tensor')).map((k) => {
        if (!Number.isInteger(k) || k < -r || k >= r) fail(c, `axes value ${k} is out of range for rank ${r}`);
        return k < 0 ? k + r : k;
      });
      if (new Set(axes).size !== axes.length) fail(c, `axes [${a.ints!.join(',')}] repeat an axis`);
      if (pads.length !== 2 * axes.length) fail(c, `pads has ${pads.length} values for ${axes.length} axes (it needs ${2 * axes.length})`);
      const full = new Array(2 * r).fill(0);
      axes.forEach((k, i) => {
        full[k] = pads[i];
        full[k + r] = pads[i + axes.length];
      });
      pads = full;
    }
  }
  if (pads.length !== 2 * r) fail(c, `pads has ${pads.length} values; input '${x.name}' of rank ${r} needs ${2 * r} ([begin..., end...])`);
  const options: PadOptions = { pads, mode: mode as PadMode, value };
  const g = checked(c, () => padGeometry('pad', x.shape, options));
  if (x.const) {
    if (x.const.ints) fail(c, `input 0 ('${x.name}') is an integer constant; Condense pads float tensors`);
    const t = reference.pad(x.const, options);
    return { constant: { data: t.data, shape: t.shape, dataType: 1 } };
  }
  if (pads.every((p) => p === 0)) return { alias: x.name };
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], weights: [],
      note: `${mode} [${pads.join(',')}]${mode === 'constant' && value !== 0 ? ` value ${value}` : ''}`,
      args: [{ value: x.name }], shape: g.outShape,
      gpu: (e, [t]) => e.pad(t, options),
      cpu: ([h]) => reference.pad(h, options),
    },
  };
};
