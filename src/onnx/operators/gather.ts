// ONNX Gather of a computed tensor by constant indices (on constants and shapes it is a folder in
// shape.ts): the engine's gather along the axis with the indices flattened, then the output
// reshaped to x.shape[:axis] + indices.shape + x.shape[axis+1:] when the indices are not 1-D (a
// scalar index drops the axis). Indices are checked against the axis while planning.
import * as reference from '../../reference/index.js';
import { shapeToString } from '../../ops/args.js';
import { gatherGeometry, normalizeHostIndices } from '../../ops/gather.js';
import { checked, constant, dynamic, fail, onlyOutput, type Handler } from '../node.js';
import { inexactValue } from '../values.js';

export const gatherData: Handler = (c) => {
  c.attrs.only(['axis']);
  onlyOutput(c);
  const x = dynamic(c, 0, 'data');
  const idx = constant(c, 1, 'indices');
  if (!idx.ints) fail(c, `indices must be an integer tensor (INT32 or INT64), got data type ${idx.dataType}`);
  if (idx.inexact) fail(c, `indices hold ${inexactValue(idx)}, beyond 2^53`);
  const r = x.shape.length;
  const given = c.attrs.int('axis', 0);
  if (given < -r || given >= r) fail(c, `axis ${given} is out of range for data '${x.name}' of rank ${r}`);
  const axis = given < 0 ? given + r : given;
  if (idx.ints.length === 0) fail(c, `indices ${shapeToString(idx.shape)} are empty; Condense tensors cannot be empty`);
  const picks = checked(c, () => normalizeHostIndices('gather', idx.ints!, x.shape[axis]));
  const g = checked(c, () => gatherGeometry('gather', x.shape, idx.shape, { axis }));
  const flat = idx.shape.length === 1;
  return {
    step: {
      name: c.name, opType: c.opType, output: c.outputs[0], weights: [], args: [{ value: x.name }], shape: g.outShape,
      note: `axis ${axis}, ${picks.length} ${picks.length === 1 ? 'index' : 'indices'}`,
      gpu: (e, [t]) => {
        const y = e.gather(t, picks, { axis });
        if (flat) return y;
        const z = e.reshape(y, [...t.shape.slice(0, axis), ...idx.shape, ...t.shape.slice(axis + 1)]);
        y.dispose();
        return z;
      },
      cpu: ([h]) => reference.gather(h, { data: Float32Array.from(picks), shape: idx.shape }, { axis }),
    },
  };
};
