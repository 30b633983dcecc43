// Files as tfjs-layers writes them, with two of its habits: SeparableConv2D's config lacks
// depth_multiplier (the depthwise kernel's last axis holds it), and a Reshape's inferred
// dimension is saved as null rather than -1. Both load and match tfjs.
import { describe, expect, it } from 'vitest';
import { createEngine, loadLayersModel } from '../src/index.js';
import { expectClose } from './helpers/compare.js';
import { saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

describe('tfjs-layers habits in saved files', () => {
  it('SeparableConv2D with depth multiplier 2 and Reshape to [-1, 4] load and match tfjs', async () => {
    await tfCpu();
    const inp = tf.input({ shape: [4, 4, 3] });
    const s = tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same' }).apply(inp) as tf.SymbolicTensor;
    const r = tf.layers.reshape({ targetShape: [-1, 4] }).apply(s) as tf.SymbolicTensor;
    const m = tf.model({ inputs: inp, outputs: r });
    const files = await saveToMemory(m);
    const layers = files.modelJson.modelTopology.config.layers;
    // The habits this test is about, as tfjs writes them.
    expect(layers[1].config.depth_multiplier).toBeUndefined();
    expect(layers[2].config.target_shape).toEqual([null, 4]);
    const model = await loadLayersModel({ modelJson: files.modelJson, weights: files.weights });
    const engine = await createEngine();
    model.to(engine);
    const x = new Float32Array(48).map((_, i) => Math.sin(i));
    const y = model.predict(engine.tensor(x, [1, 4, 4, 3])) as import('../src/index.js').Tensor;
    expect(y.shape).toEqual([1, 16, 4]);
    const want = (m.predict(tf.tensor(x, [1, 4, 4, 3])) as tf.Tensor).dataSync() as Float32Array;
    expectClose(await y.read(), want, { atol: 1e-5, rtol: 1e-5 }, 'separable + reshape');
    engine.destroy();
  });
});
