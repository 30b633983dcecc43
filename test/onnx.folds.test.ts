// Load-time folds of element-wise passes into convs (src/onnx/operators/affine.ts, broadcast.ts):
// paddle2onnx's Conv -> Mul -> Add (a batch norm as scalars) -> hard-swish spelled out (Add 3,
// Clip(0, 6), Mul, Div 6) -> Mul -> Add -> Conv, built in code. Each case checks what the plan
// became (which steps remain) and the outputs against onnxruntime-web (wasm) and the CPU reference;
// the cases that must not fold (a second reader, a computed operand, a constant that does not
// broadcast per channel, an added constant before a padded conv, other Clip bounds) keep their steps.
import { describe, expect, it } from 'vitest';

import { buildOnnxModel, parseOnnxModel, type OnnxAttr, type OnnxInitializer, type OnnxModelSpec, type OnnxNodeSpec } from '../src/index.js';
import { randomData, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { checkAgainstOrt, randomInput } from './helpers/onnx.js';

type Random = () => number;

function weight(name: string, shape: number[], random: Random, lo = -0.5, hi = 0.5): OnnxInitializer {
  return { name, shape, data: randomData(shape.reduce((a, b) => a * b, 1), random, lo, hi) };
}

const scalar = (name: string, v: number, shape: number[] = []): OnnxInitializer => ({ name, shape, data: [v] });

/** Builds models node by node, naming each value. */
class Graph {
  nodes: OnnxNodeSpec[] = [];
  inits: OnnxInitializer[] = [];
  private n = 0;
  constructor(readonly random: Random) {}
  node(op: string, inputs: string[], attrs?: Record<string, OnnxAttr>): string {
    const out = `${op.toLowerCase()}${this.n++}`;
    this.nodes.push({ op, inputs, outputs: [out], name: out, ...(attrs ? { attrs } : {}) });
    return out;
  }
  init(t: OnnxInitializer): string {
    const name = `${t.name ?? 'c'}${this.n++}`;
    this.inits.push({ ...t, name });
    return name;
  }
  conv(x: string, cin: number, cout: number, k: number, { pad = (k - 1) / 2, groups = 1, autoPad }: { pad?: number; groups?: number; autoPad?: string } = {}): string {
    const w = this.init(weight('w', [cout, cin / groups, k, k], this.random));
    const b = this.init(weight('b', [cout], this.random));
    const attrs: Record<string, OnnxAttr> = { kernel_shape: { ints: [k, k] }, group: { i: groups }, ...(autoPad ? { auto_pad: { s: autoPad } } : { pads: { ints: [pad, pad, pad, pad] } }) };
    return this.node('Conv', [x, w, b], attrs);
  }
  /** x * s + t by constants: scalars ([1], as paddle2onnx writes them) or per channel ([1, C, 1, 1]). */
  affine(x: string, channels: number, perChannel: boolean): string {
    const shape = perChannel ? [1, channels, 1, 1] : [1];
    const s = this.init(weight('s', shape, this.random, 0.5, 1.5));
    const t = this.init(weight('t', shape, this.random, -0.5, 0.5));
    return this.node('Add', [this.node('Mul', [s, x]), t]);
  }
  /** Hard-swish in one of the forms exporters write. */
  hardSwish(x: string, form: HardSwishForm): string {
    if (form === 'HardSigmoid') return this.node('Mul', [x, this.node('HardSigmoid', [x], { alpha: { f: 1 / 6 }, beta: { f: 0.5 } })]);
    const gate = this.node('Clip', [this.node('Add', [x, this.init(scalar('three', 3))]), this.init(scalar('lo', 0)), this.init(scalar('hi', 6))]);
    const six = () => this.init(scalar('six', 6));
    const sixth = () => this.init(scalar('sixth', 1 / 6, [1]));
    switch (form) {
      case 'product / 6': return this.node('Div', [this.node('Mul', [x, gate]), six()]);
      case 'product * 1/6': return this.node('Mul', [sixth(), this.node('Mul', [gate, x])]);
      case 'x * (gate / 6)': return this.node('Mul', [this.node('Div', [gate, six()]), x]);
      case 'x * (gate * 1/6)': return this.node('Mul', [x, this.node('Mul', [gate, sixth()])]);
    }
  }
  model(xShape: number[], outputs: string[], extraInputs: { name: string; shape: number[] }[] = []): OnnxModelSpec {
    return { opset: 13, inputs: [{ name: 'x', shape: xShape }, ...extraInputs], outputs: outputs.map((name) => ({ name })), initializers: this.inits, nodes: this.nodes };
  }
}

const FORMS = ['product / 6', 'product * 1/6', 'x * (gate / 6)', 'x * (gate * 1/6)', 'HardSigmoid'] as const;
type HardSwishForm = (typeof FORMS)[number];

/** The plan's steps as "OpType" (and whether each is a conv step with hardSwish in its epilogue). */
function plan(spec: OnnxModelSpec): { ops: string[]; hardSwish: number; notes: string[] } {
  const m = parseOnnxModel(buildOnnxModel(spec));
  const steps = m.steps;
  const hardSwish = steps.filter((s) => s.fusable?.kind === 'conv' && s.fusable.options.activation === 'hardSwish').length;
  return { ops: steps.map((s) => s.opType), hardSwish, notes: steps.map((s) => s.note) };
}

describe('paddle2onnx conv blocks fold into their convs', () => {
  it('Conv -> Mul -> Add -> hard-swish (each form) -> Mul -> Add -> Conv: two conv steps before a 1x1 conv, one x * s + t step more before a padded one', async () => {
    const engine = await gpuEngine();
    const random = rng(1717);
    let i = 0;
    for (const form of FORMS) {
      for (const next of ['1x1', '3x3 pad 1', 'VALID 3x3'] as const) {
        i++;
        const perChannel = i % 2 === 0;
        const depthwise = i % 3 === 0;
        const [cin, c] = [3, 8];
        const g = new Graph(random);
        const h = g.conv('x', cin, c, 3);
        const d = depthwise ? g.conv(h, c, c, 3, { groups: c }) : h;
        const a = g.affine(d, c, perChannel);
        const y = g.affine(g.hardSwish(a, form), c, !perChannel);
        const out = next === '1x1' ? g.conv(y, c, 5, 1) : next === 'VALID 3x3' ? g.conv(y, c, 5, 3, { autoPad: 'VALID' }) : g.conv(y, c, 5, 3, { groups: 1 });
        const spec = g.model([1, cin, 9 + (i % 3), 10], [out]);
        const p = plan(spec);
        const label = `${form}, ${perChannel ? 'per-channel' : 'scalar'} then ${perChannel ? 'scalar' : 'per-channel'}, ${depthwise ? 'depthwise, ' : ''}then ${next}`;
        // The padded conv keeps the second Mul + Add as one x * s + t step (a padded tap reads 0, not the shift).
        const want = [...(depthwise ? ['Conv', 'Conv'] : ['Conv']), ...(next === '3x3 pad 1' ? ['Mul'] : []), 'Conv'];
        expect(p.ops, label).toEqual(want);
        expect(p.hardSwish, label).toBe(1);
        await checkAgainstOrt(engine, spec, { x: randomInput(spec.inputs[0].shape as number[], random, -3, 3) }, label);
      }
    }
  }, 300_000);

  it('a scale alone folds into the padded conv after it; an added constant alone folds only into an unpadded one', async () => {
    const engine = await gpuEngine();
    const random = rng(99);
    for (const [op, pad, folds] of [['Mul', 1, true], ['Add', 1, false], ['Add', 0, true], ['Mul', 0, true]] as const) {
      const g = new Graph(random);
      const h = g.node('Relu', [g.conv('x', 3, 4, 3)]);
      const k = g.init(weight('k', [1, 4, 1, 1], random, 0.5, 1.5));
      const out = g.conv(g.node(op, [h, k]), 4, 6, 3, { pad });
      const spec = g.model([1, 3, 8, 9], [out]);
      expect(plan(spec).ops, `${op} then pad ${pad}`).toEqual(folds ? ['Conv', 'Conv'] : ['Conv', op, 'Conv']);
      await checkAgainstOrt(engine, spec, { x: randomInput([1, 3, 8, 9], random) }, `${op} then a conv padded ${pad}`);
    }
  }, 120_000);
});

describe('what must not fold', () => {
  it('a conv output read twice, a computed operand, constants that do not broadcast per channel, other Clip bounds, a hard-swish gate read twice', async () => {
    const engine = await gpuEngine();
    const random = rng(31);
    const x = randomInput([1, 3, 7, 8], random, -3, 3);
    const cases: { label: string; build: (g: Graph) => OnnxModelSpec; ops: string[]; feeds?: Record<string, ReturnType<typeof randomInput>> }[] = [
      {
        label: 'the conv output is also a graph output',
        build: (g) => { const h = g.conv('x', 3, 4, 3); return g.model([1, 3, 7, 8], [h, g.node('Mul', [h, g.init(scalar('s', 2, [1]))])]); },
        ops: ['Conv', 'Mul'],
      },
      {
        label: 'the conv output is read by a second node',
        build: (g) => { const h = g.conv('x', 3, 4, 3); return g.model([1, 3, 7, 8], [g.node('Add', [g.node('Mul', [h, g.init(scalar('s', 2, [1]))]), h])]); },
        ops: ['Conv', 'Mul', 'Add'],
      },
      {
        label: 'a computed multiplier',
        build: (g) => g.model([1, 3, 7, 8], [g.node('Mul', [g.conv('x', 3, 4, 3), 'z'])], [{ name: 'z', shape: [1, 4, 7, 8] }]),
        ops: ['Conv', 'Mul'],
        feeds: { z: randomInput([1, 4, 7, 8], random) },
      },
      {
        label: 'a per-column multiplier [1, 1, 1, W]',
        build: (g) => g.model([1, 3, 7, 8], [g.node('Mul', [g.conv('x', 3, 4, 3), g.init(weight('k', [1, 1, 1, 8], random))])]),
        ops: ['Conv', 'Mul'],
      },
      {
        label: 'a per-element addend [4, 7, 8], then a 1x1 conv',
        build: (g) => g.model([1, 3, 7, 8], [g.conv(g.node('Add', [g.node('Relu', [g.conv('x', 3, 4, 3)]), g.init(weight('k', [4, 7, 8], random))]), 4, 2, 1)]),
        ops: ['Conv', 'Add', 'Conv'],
      },
      {
        label: 'Mul then Add growing the shape (a [1, 4, 7, 1] multiplier, then [1, 1, 1, 8])',
        build: (g) => g.model([1, 3, 7, 1], [g.node('Add', [g.node('Mul', [g.node('Relu', [g.conv('x', 3, 4, 3)]), g.init(weight('k', [1, 4, 1, 1], random))]), g.init(weight('t', [1, 1, 1, 8], random))])]),
        ops: ['Conv', 'Mul', 'Add'],
      },
      {
        label: 'Clip(0, 5) is not hard-swish',
        build: (g) => {
          const h = g.conv('x', 3, 4, 3);
          const gate = g.node('Clip', [g.node('Add', [h, g.init(scalar('three', 3))]), g.init(scalar('lo', 0)), g.init(scalar('hi', 5))]);
          return g.model([1, 3, 7, 8], [g.node('Div', [g.node('Mul', [h, gate]), g.init(scalar('six', 6))])]);
        },
        ops: ['Conv', 'Add', 'Clip', 'Mul', 'Div'],
      },
      {
        label: 'x + 3 also read elsewhere',
        build: (g) => {
          const h = g.conv('x', 3, 4, 3);
          const shifted = g.node('Add', [h, g.init(scalar('three', 3))]);
          const hs = g.node('Div', [g.node('Mul', [h, g.node('Clip', [shifted, g.init(scalar('lo', 0)), g.init(scalar('hi', 6))])]), g.init(scalar('six', 6))]);
          return g.model([1, 3, 7, 8], [hs, shifted]);
        },
        ops: ['Conv', 'Add', 'Clip', 'Mul', 'Div'],
      },
      {
        label: 'hard-swish on a conv output read elsewhere: a hardSwish step, not the epilogue',
        build: (g) => {
          const h = g.conv('x', 3, 4, 3);
          const hs = g.hardSwish(h, 'product / 6');
          return g.model([1, 3, 7, 8], [hs, h]);
        },
        ops: ['Conv', 'Mul'],
      },
    ];
    for (const c of cases) {
      const spec = c.build(new Graph(random));
      const p = plan(spec);
      expect(p.ops, c.label).toEqual(c.ops);
      expect(p.hardSwish, c.label).toBe(0);
      const shape = spec.inputs[0].shape as number[];
      await checkAgainstOrt(engine, spec, { x: shape[3] === 8 ? x : randomInput(shape, random), ...(c.feeds ?? {}) }, c.label);
    }
  }, 120_000);
});
