// Reads the header and graph of an .onnx file (a protobuf ModelProto) without running it: producer,
// opsets, inputs and outputs with their symbolic dims, op types with counts, initializers, external
// data, and which nodes only compute shapes (the int64 subgraph hanging off Shape nodes that a
// loader has to fold at load time). Used by scripts/fetch-onnx-models.mjs --record and
// scripts/check-onnx-models.mjs; on its own:
//
//   node scripts/onnx-inspect.mjs file.onnx [...]     prints one JSON summary per file
//
// The descriptor below is the part of the ONNX IR (onnx/onnx.proto3 field numbers) that a summary
// needs, as protobufjs JSON so that the light build (no .proto parser) suffices. Unlisted fields are
// skipped by the decoder.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs/light.js';

const tensorShape = {
  fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
  nested: { Dimension: { oneofs: { value: { oneof: ['dimValue', 'dimParam'] } }, fields: { dimValue: { type: 'int64', id: 1 }, dimParam: { type: 'string', id: 2 } } } },
};
const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            floatData: { rule: 'repeated', type: 'float', id: 4 },
            int32Data: { rule: 'repeated', type: 'int32', id: 5 },
            int64Data: { rule: 'repeated', type: 'int64', id: 7 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
            doubleData: { rule: 'repeated', type: 'double', id: 10 },
            externalData: { rule: 'repeated', type: 'StringStringEntryProto', id: 13 },
            dataLocation: { type: 'int32', id: 14 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            type: { type: 'int32', id: 20 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            g: { type: 'GraphProto', id: 6 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            graphs: { rule: 'repeated', type: 'GraphProto', id: 11 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            domain: { type: 'string', id: 7 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
          },
        },
        TensorShapeProto: tensorShape,
        TypeProto: {
          fields: { tensorType: { type: 'Tensor', id: 1 } },
          nested: { Tensor: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } } },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            sparseInitializer: { rule: 'repeated', type: 'bytes', id: 15 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            valueInfo: { rule: 'repeated', type: 'ValueInfoProto', id: 13 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            modelVersion: { type: 'int64', id: 5 },
            docString: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
            metadataProps: { rule: 'repeated', type: 'StringStringEntryProto', id: 14 },
            functions: { rule: 'repeated', type: 'bytes', id: 25 },
          },
        },
      },
    },
  },
});
const ModelProto = root.lookupType('onnx.ModelProto');

const DTYPES = { 1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64' };
const DTYPE_BYTES = { 1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };

export function decodeModel(bytes) {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false, arrays: true });
}

const dimOf = (d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined ? Number(d.dimValue) : null);
const valueInfo = (v) => ({
  name: v.name,
  dtype: DTYPES[v.type?.tensorType?.elemType] ?? `type${v.type?.tensorType?.elemType}`,
  shape: v.type?.tensorType?.shape ? (v.type.tensorType.shape.dim ?? []).map(dimOf) : null,
});

function tensorBytes(t) {
  if (t.rawData?.length) return t.rawData.length;
  const n = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
  return n * (DTYPE_BYTES[t.dataType] ?? 4);
}

const countInto = (map, key) => (map[key] = (map[key] ?? 0) + 1);
const sorted = (obj) => Object.fromEntries(Object.entries(obj).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));

// Two kinds of nodes a loader folds at load time instead of running:
//  - shape nodes: Shape/Size, and any node whose inputs are all constants or shape-node outputs with
//    at least one of the latter (the int64 Gather/Unsqueeze/Concat/Slice/Cast/... chains that
//    exporters hang off Shape to build Reshape/Resize targets);
//  - constant nodes: a node whose inputs are all initializers, Constant outputs or constant-node
//    outputs (ConstantOfShape on a fixed shape, Transpose of a weight, ...).
// The ops that consume such values as shape/index operands (Reshape, Resize, Expand, Pad, ...) are
// the boundary and are not counted. Constant nodes themselves are not counted either.
function foldable(graph) {
  const constant = new Set((graph.initializer ?? []).map((t) => t.name));
  const shape = new Set();
  const shapeOps = {};
  const constOps = {};
  for (const n of graph.node ?? []) {
    const op = n.opType;
    const outs = n.output ?? [];
    if (op === 'Constant') {
      outs.forEach((o) => constant.add(o));
      continue;
    }
    const ins = (n.input ?? []).filter((i) => i !== '');
    if (op === 'Shape' || op === 'Size' || (ins.length > 0 && ins.every((i) => shape.has(i) || constant.has(i)) && ins.some((i) => shape.has(i)))) {
      countInto(shapeOps, op);
      outs.forEach((o) => shape.add(o));
    } else if (ins.length > 0 && ins.every((i) => constant.has(i))) {
      countInto(constOps, op);
      outs.forEach((o) => constant.add(o));
    }
  }
  return { shapeSubgraphOps: sorted(shapeOps), constantFoldedOps: sorted(constOps) };
}

// Attribute values, as plain JSON (tensor attributes by dtype and dims only). A proto3 writer leaves
// out zero values, so the attribute's declared type decides what a missing value reads as.
function attrValue(a) {
  const float = (f) => Number((f ?? 0).toPrecision(6));
  switch (a.type) {
    case 1: return float(a.f);
    case 2: return Number(a.i ?? 0);
    case 3: return Buffer.from(a.s ?? []).toString('utf8');
    case 4: return `tensor<${DTYPES[a.t?.dataType] ?? a.t?.dataType}>[${(a.t?.dims ?? []).join(',')}]`;
    case 5: case 10: return 'graph';
    case 6: return (a.floats ?? []).map(float);
    case 7: return (a.ints ?? []).map(Number);
  }
  if (a.t) return `tensor<${DTYPES[a.t.dataType] ?? a.t.dataType}>[${(a.t.dims ?? []).join(',')}]`;
  if (a.g || a.graphs?.length) return 'graph';
  if (a.ints?.length) return a.ints.map(Number);
  if (a.floats?.length) return a.floats.map(float);
  if (a.s?.length) return Buffer.from(a.s).toString('utf8');
  if (a.f !== undefined) return float(a.f);
  if (a.i !== undefined) return Number(a.i);
  return null;
}

// The distinct attribute sets each op type is used with (a Conv's group as 1 or 'depthwise'/'grouped'
// so that channel counts do not multiply the entries), at most `cap` per op type.
function attributeSets(graph, cap = 6) {
  const sets = {};
  for (const n of graph.node ?? []) {
    if (n.opType === 'Constant') continue;
    const attrs = {};
    for (const a of [...(n.attribute ?? [])].sort((x, y) => x.name.localeCompare(y.name))) attrs[a.name] = attrValue(a);
    if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && attrs.group !== undefined && attrs.group !== 1) attrs.group = 'grouped';
    const key = JSON.stringify(attrs);
    const entry = (sets[n.opType] ??= new Map());
    entry.set(key, (entry.get(key) ?? 0) + 1);
  }
  return Object.fromEntries(
    Object.entries(sets).map(([op, m]) => {
      const list = [...m.entries()].sort((a, b) => b[1] - a[1]);
      const out = list.slice(0, cap).map(([k, count]) => ({ count, ...JSON.parse(k) }));
      if (list.length > cap) out.push({ more: list.length - cap });
      return [op, out];
    }),
  );
}

// Depthwise convolutions: group == input channels == output channels, read from the weight shape.
function convKinds(graph) {
  const shapes = new Map((graph.initializer ?? []).map((t) => [t.name, (t.dims ?? []).map(Number)]));
  for (const n of graph.node ?? []) {
    const t = n.opType === 'Constant' ? (n.attribute ?? []).find((a) => a.name === 'value')?.t : null;
    if (t) shapes.set(n.output[0], (t.dims ?? []).map(Number));
  }
  const kinds = {};
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Conv') continue;
    const group = Number((n.attribute ?? []).find((a) => a.name === 'group')?.i ?? 1);
    const w = shapes.get(n.input[1]);
    const k = w ? w.slice(2).join('x') : '?';
    const kind = group === 1 ? (k === '1x1' ? 'pointwise 1x1' : `dense ${k}`) : w && w[1] === 1 && w[0] === group ? `depthwise ${k}` : `grouped ${k}`;
    countInto(kinds, kind);
  }
  return sorted(kinds);
}

export function inspectOnnx(bytes) {
  const m = decodeModel(bytes);
  const g = m.graph ?? {};
  const inits = g.initializer ?? [];
  const initNames = new Set(inits.map((t) => t.name));
  const opTypes = {};
  const domains = new Set();
  let subgraphs = 0;
  for (const n of g.node ?? []) {
    countInto(opTypes, n.domain ? `${n.domain}::${n.opType}` : n.opType);
    if (n.domain) domains.add(n.domain);
    for (const a of n.attribute ?? []) if (a.g || a.graphs?.length) subgraphs++;
  }
  const external = inits.filter((t) => t.dataLocation === 1 || t.externalData?.length).map((t) => t.name);
  const constants = (g.node ?? []).filter((n) => n.opType === 'Constant').map((n) => (n.attribute ?? []).find((a) => a.name === 'value')?.t).filter(Boolean);
  const initDtypes = {};
  for (const t of inits) countInto(initDtypes, DTYPES[t.dataType] ?? `type${t.dataType}`);
  return {
    irVersion: m.irVersion,
    producer: { name: m.producerName ?? '', version: m.producerVersion ?? '' },
    domain: m.domain ?? '',
    modelVersion: m.modelVersion ?? 0,
    docString: (m.docString ?? '').slice(0, 200),
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key, (p.value ?? '').slice(0, 200)])),
    opset: Object.fromEntries((m.opsetImport ?? []).map((o) => [o.domain || 'ai.onnx', o.version])),
    graphName: g.name ?? '',
    // Graph inputs that are also initializers are overridable constants (IR < 4 style), not feeds.
    inputs: (g.input ?? []).filter((v) => !initNames.has(v.name)).map(valueInfo),
    outputs: (g.output ?? []).map(valueInfo),
    nodes: (g.node ?? []).length,
    opTypes: sorted(opTypes),
    customDomains: [...domains],
    ...foldable(g),
    initializers: { count: inits.length, bytes: inits.reduce((s, t) => s + tensorBytes(t), 0), dtypes: sorted(initDtypes), inputsAlsoInitializers: (g.input ?? []).filter((v) => initNames.has(v.name)).length },
    // paddle2onnx stores weights as Constant nodes instead of initializers.
    constantNodes: { count: constants.length, bytes: constants.reduce((sum, t) => sum + tensorBytes(t), 0) },
    convKinds: convKinds(g),
    attributes: attributeSets(g),
    externalData: external.length > 0,
    externalTensors: external.slice(0, 10),
    sparseInitializers: (g.sparseInitializer ?? []).length,
    functions: (m.functions ?? []).length,
    subgraphAttributes: subgraphs,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) {
    console.log(JSON.stringify({ file, ...inspectOnnx(fs.readFileSync(file)) }, null, 2));
  }
}
