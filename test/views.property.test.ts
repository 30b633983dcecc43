// Views (reshape, flatten, the identity transpose) share their source's buffer; the Recorder
// counts the holders and the optimizer moves a shared target to a buffer of its own before
// writing it. fast-check drives random programs over one source: views of any live holder,
// disposals in any order, ops that read a holder, and SGD steps on a holder. Every live holder
// must read the values its model says (the source's data, or that holder's updated data for one
// an SGD step wrote), and once all are disposed the pool must hold no more buffers than before.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reference, type Tensor } from '../src/index.js';
import { expectClose } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';

type Action =
  | { kind: 'view'; of: number; how: 'reshape' | 'flatten' | 'transpose' }
  | { kind: 'dispose'; of: number }
  | { kind: 'relu'; of: number }
  | { kind: 'sgd'; of: number; grad: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('view' as const), of: fc.nat(20), how: fc.constantFrom('reshape' as const, 'flatten' as const, 'transpose' as const) }),
  fc.record({ kind: fc.constant('dispose' as const), of: fc.nat(20) }),
  fc.record({ kind: fc.constant('relu' as const), of: fc.nat(20) }),
  fc.record({ kind: fc.constant('sgd' as const), of: fc.nat(20), grad: fc.nat(20) }),
);

describe('views: random programs of views, disposals, reads and in-place updates', () => {
  it('every live holder reads its modelled values, and all disposed frees the buffers', async () => {
    const engine = await gpuEngine();
    const shape = [2, 3, 2, 4];
    const size = 48;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 14 }), async (actions) => {
        await engine.flush();
        const baseline = engine.stats().liveBuffers;
        const data = Float32Array.from({ length: size }, (_, i) => (i % 7) - 3 + i / 100);
        // The model: each live holder and the values it must read.
        const live: { t: Tensor; values: Float32Array }[] = [{ t: engine.tensor(data, shape), values: data }];
        const outputs: { t: Tensor; values: Float32Array }[] = [];
        for (const a of actions) {
          if (live.length === 0) break;
          const h = live[a.of % live.length];
          if (a.kind === 'view') {
            const t = a.how === 'reshape' ? engine.reshape(h.t, [-1, 4]) : a.how === 'flatten' ? engine.flatten(h.t) : engine.transpose(h.t, h.t.shape.map((_, i) => i));
            live.push({ t, values: h.values });
          } else if (a.kind === 'dispose') {
            h.t.dispose();
            live.splice(live.indexOf(h), 1);
          } else if (a.kind === 'relu') {
            outputs.push({ t: engine.relu(h.t), values: reference.relu({ data: h.values, shape: [size] }).data });
          } else {
            const g = live[a.grad % live.length];
            if (g === h) continue; // the optimizer refuses the weight as its own gradient
            // A gradient of another shape is refused: give it the weight's shape through a view.
            const grad = engine.reshape(g.t, h.t.shape);
            engine.grad.sgdUpdate(h.t, grad, { learningRate: 0.5 });
            grad.dispose();
            h.values = h.values.map((v, i) => v - 0.5 * g.values[i]);
          }
        }
        for (const [i, h] of [...live, ...outputs].entries()) expectClose(await h.t.read(), h.values, { atol: 1e-6, rtol: 1e-6 }, `holder ${i} after ${JSON.stringify(actions)}`);
        for (const h of [...live, ...outputs]) h.t.dispose();
        await engine.flush();
        expect(engine.stats().liveBuffers, JSON.stringify(actions)).toBe(baseline);
      }),
      { seed: 2026, numRuns: 120 },
    );
  });
});
