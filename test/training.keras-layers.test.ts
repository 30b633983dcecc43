// Backward of the loaded Keras models' layers (src/models/keras-backward.ts,
// keras-layout-backward.ts), so that a loaded base can be fine-tuned. Small tfjs-layers Functional
// models are saved, loaded through loadLayersModel and differentiated on the GPU by walking the
// FunctionalModel's nodes in reverse (test/helpers/keras-grad.ts), for the loss sum(y * r); tfjs's
// tf.grads / tf.variableGrads of the same model in inference mode are the oracle, for the input
// gradients and every layer's weight gradients (through the BatchNormalization folds by the chain
// rule worked out in keras-grad.ts's weightChecks). Whole blocks (MobileNetV2's inverted
// residuals, squeeze-excite, separable convolutions, concatenation, pooling) and a seeded grid of
// single layers (training.keras-layers.grid.test.ts); hand-worked cases; the layers left without a
// backward; needDx / needDw.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Tensor } from '../src/index.js';
import { expectClose, rng } from './helpers/compare.js';
import { gpuEngine } from './helpers/gpu.js';
import { agree, ap, L, load, TOL, type Sym } from './helpers/keras-agree.js';
import { randomizeBatchNorm, tfGrads, walk, weightChecks } from './helpers/keras-grad.js';
import { saveToMemory, tf, tfCpu } from './helpers/tfjs-models.js';

/** MobileNetV2's inverted residual: expand 1x1 -> BN -> ReLU6 -> (pad ->) depthwise -> BN -> ReLU6 -> project 1x1 -> BN (-> Add). */
function invertedResidual(x: Sym, inC: number, expand: number, outC: number, stride: number, random: () => number): Sym {
  let y = ap(L.conv2d({ filters: inC * expand, kernelSize: 1, useBias: false }), x);
  y = ap(L.batchNormalization({ epsilon: 1e-3 }), y);
  y = ap(L.reLU({ maxValue: 6 }), y);
  // keras.applications' correct_pad for an even input and a 3x3 stride-2 kernel.
  if (stride === 2) y = ap(L.zeroPadding2d({ padding: [[0, 1], [0, 1]] }), y);
  y = ap(L.depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false, depthwiseInitializer: 'glorotUniform' }), y);
  y = ap(L.batchNormalization({ epsilon: 1e-3 }), y);
  y = ap(L.reLU({ maxValue: 6 }), y);
  y = ap(L.conv2d({ filters: outC, kernelSize: 1, useBias: random() < 0.5 }), y);
  y = ap(L.batchNormalization({ epsilon: 1e-3 }), y);
  return stride === 1 && inC === outC ? ap(L.add(), [x, y]) : y;
}

describe('backward of loaded Keras layers against tf.grads', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  it('MobileNetV2 inverted-residual blocks (BN folded, ReLU6 fused, ZeroPadding, depthwise stride 2, Add): the whole graph and every layer', async () => {
    const random = rng(11);
    for (const [h, w, c, batch] of [[8, 8, 3, 2], [10, 6, 4, 1], [6, 12, 2, 3]]) {
      const x = tf.input({ shape: [h, w, c] });
      const a = invertedResidual(x, c, 4, 5, 2, random);
      const b = invertedResidual(a, 5, 3, 5, 1, random);
      const m = tf.model({ inputs: x, outputs: b, name: `mnv2_${h}x${w}x${c}` });
      randomizeBatchNorm(m, random);
      const f = await agree(engine, m, [[batch, h, w, c]], h * 100 + w);
      // The paths under test were taken: six folds, four fused ReLU6, no BN or ReLU step left.
      expect(f.nodes.filter((n) => n.layer.note.includes('(BatchNormalization) folded')).length).toBe(6);
      expect(f.nodes.filter((n) => n.layer.note.includes('(ReLU) fused')).length).toBe(4);
      expect(f.nodes.map((n) => n.layer.className).sort()).toEqual(['Add', 'Conv2D', 'Conv2D', 'Conv2D', 'Conv2D', 'DepthwiseConv2D', 'DepthwiseConv2D', 'ZeroPadding2D']);
    }
  });

  it('squeeze-excite (GlobalAveragePooling2D keepdims -> Dense -> Multiply), SeparableConv2D, Concatenate, pools, merges', async () => {
    const random = rng(12);
    for (const [h, w, c, batch] of [[6, 6, 4, 2], [7, 5, 3, 1]]) {
      const x = tf.input({ shape: [h, w, c] });
      const c1 = ap(L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'tanh' }), x);
      let se = ap(L.globalAveragePooling2d({}), c1);
      se = ap(L.dense({ units: 3, activation: 'relu' }), se);
      se = ap(L.dense({ units: 6, activation: 'hardSigmoid' }), se);
      se = ap(L.reshape({ targetShape: [1, 1, 6] }), se);
      const excited = ap(L.multiply(), [c1, se]);
      const sep = ap(L.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'swish' }), x);
      const cat = ap(L.concatenate(), [excited, sep]);
      const p1 = ap(L.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }), cat);
      const p2 = ap(L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), cat);
      // tfjs-layers has no Subtract: its model adds -1 * p2, and the saved copy Condense loads says
      // Subtract(p1, 1 * p2), the same function.
      const diff = ap(L.add({ name: 'diff' }), [p1, ap(L.rescaling({ scale: -1, offset: 0, name: 'neg' }), p2)]);
      const avg = ap(L.average(), [p1, p2, diff]);
      const bn = ap(L.batchNormalization({}), avg); // after a merge: not folded, a scale and shift
      const g = ap(L.globalMaxPooling2d({}), bn);
      const out = ap(L.dense({ units: 4, activation: 'softmax' }), g);
      const m = tf.model({ inputs: x, outputs: out, name: `se_${h}x${w}` });
      randomizeBatchNorm(m, random);
      // The GlobalAveragePooling2D saved with keepdims (Keras 2.6+; tfjs-layers has no such option):
      // the same function, as the Dense layers work on the last axis and the Reshape keeps [1, 1, 6].
      const files = await saveToMemory(m);
      const gap = files.modelJson.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'GlobalAveragePooling2D');
      gap.config.keepdims = true;
      const byName = (n: string) => files.modelJson.modelTopology.config.layers.find((l: { name: string }) => l.name === n);
      byName('diff').class_name = 'Subtract';
      byName('neg').config.scale = 1;
      // tfjs-layers leaves depth_multiplier out of SeparableConv2D's saved config (Keras writes it).
      files.modelJson.modelTopology.config.layers.find((l: { class_name: string }) => l.class_name === 'SeparableConv2D').config.depth_multiplier = 2;
      const f = await agree(engine, m, [[batch, h, w, c]], h * 10 + w, { files });
      expect(f.nodes.find((n) => n.layer.className === 'GlobalAveragePooling2D')!.layer.config()).toEqual({ keepDims: true });
      expect(f.nodes.some((n) => n.layer.className === 'BatchNormalization')).toBe(true);
    }
  });
});

describe('backward of loaded Keras layers: worked cases, grouped convolutions, flags, the layers left without one', () => {
  let engine: Engine;
  beforeAll(async () => {
    await tfCpu();
    engine = await gpuEngine();
  });

  const host = (data: number[], shape: number[]) => ({ data: Float32Array.from(data), shape });

  it('a folded Conv2D + BatchNormalization, by hand', async () => {
    const x = tf.input({ shape: [1, 2, 1] });
    const conv = L.conv2d({ filters: 1, kernelSize: 1, useBias: false, name: 'c' });
    const bn = L.batchNormalization({ epsilon: 1, name: 'bn' });
    const m = tf.model({ inputs: x, outputs: ap(bn, ap(conv, x)), name: 'fold' });
    conv.setWeights([tf.tensor4d([2], [1, 1, 1, 1])]);
    // gamma 1, beta 0.5, mean 1, variance 3, epsilon 1: s = 1 / sqrt(3 + 1) = 0.5, so the folded
    // kernel is W' = 2 * 0.5 = 1 and bias b' = (0 - 1) * 0.5 + 0.5 = 0: y = x.
    bn.setWeights([tf.tensor1d([1]), tf.tensor1d([0.5]), tf.tensor1d([1]), tf.tensor1d([3])]);
    const f = await load(engine, await saveToMemory(m));
    expect(f.nodes.length).toBe(1);
    // x = [1, 2], L = y1 + y2: dL/dx = W' = [1, 1], dL/dW' = x1 + x2 = 3, dL/db' = 2.
    const p = { xs: [host([1, 2], [1, 1, 2, 1])], r: host([1, 1], [1, 1, 2, 1]) };
    const got = await walk(engine, f, p);
    expectClose(got.dxs[0], [1, 1], {}, 'dx');
    expectClose(got.dws.get('c')![0]!, [3], {}, "dW'");
    expectClose(got.dws.get('c')![1]!, [2], {}, "db'");
    // Keras's own: dL/dW = dL/dW' s = 1.5, dL/dbeta = dL/db' = 2, dL/dgamma = sum r (2x - mean) / 2 = (1 + 3) / 2 = 2.
    const want = tfGrads(m, p);
    expectClose(want.layers.get('c')![0], [1.5], {}, 'tfjs dW');
    expectClose(want.layers.get('bn')![0], [2], {}, 'tfjs dgamma');
    expectClose(want.layers.get('bn')![1], [2], {}, 'tfjs dbeta');
    for (const [e, a, label] of weightChecks(m, got, want)) expectClose(a, e, {}, label);
  });

  it('merges and ReLU by hand: squeeze-excite broadcast, Maximum broadcast with a tie, clip with a negative slope', async () => {
    const a = tf.input({ shape: [1, 2, 1] });
    const b = tf.input({ shape: [1, 1, 1] });
    const m = tf.model({ inputs: [a, b], outputs: ap(L.multiply(), [a, b]), name: 'se_hand' });
    // y = a * b with b broadcast over the two cells: dL/da = r b = [5, 5], dL/db = r . a = 2 + 3 = 5.
    const got = await walk(engine, await load(engine, await saveToMemory(m)), { xs: [host([2, 3], [1, 1, 2, 1]), host([5], [1, 1, 1, 1])], r: host([1, 1], [1, 1, 2, 1]) });
    expectClose(got.dxs[0], [5, 5], {}, 'da');
    expectClose(got.dxs[1], [5], {}, 'db');

    // max(a, b) with b broadcast: y = [2, 4, 2]; a tie goes to the first operand (TF's x >= y).
    const three = (v: number[]) => host(v, [1, 1, 3, 1]);
    const am = tf.input({ shape: [1, 3, 1] });
    const mm = tf.model({ inputs: [am, b], outputs: ap(L.maximum(), [am, b]), name: 'max_hand' });
    const gm = await walk(engine, await load(engine, await saveToMemory(mm)), { xs: [three([1, 4, 2]), host([2], [1, 1, 1, 1])], r: three([1, 1, 1]) });
    expectClose(gm.dxs[0], [0, 1, 1], {}, 'max da');
    expectClose(gm.dxs[1], [1], {}, 'max db');

    const x = tf.input({ shape: [3] });
    const r = tf.model({ inputs: x, outputs: ap(L.leakyReLU({ alpha: 0.2, name: 'r' }), x), name: 'relu_hand' });
    const files = await saveToMemory(r);
    const layer = files.modelJson.modelTopology.config.layers.find((l: { name: string }) => l.name === 'r');
    layer.class_name = 'ReLU';
    layer.config = { name: 'r', max_value: 0.5, negative_slope: 0.2, threshold: 0 };
    // y = min(x < 0 ? 0.2 x : x, 0.5) at x = [-1, 0.25, 2]: slopes 0.2, 1 and 0 (clipped).
    const g = await walk(engine, await load(engine, files), { xs: [host([-1, 0.25, 2], [1, 3])], r: host([1, 1, 1], [1, 3]) });
    expectClose(g.dxs[0], [0.2, 1, 0], {}, 'dx');
  });

  it('grouped Conv2D (groups from the config) against tf.grads of the convolution per group', async () => {
    const random = rng(31);
    for (const [h, w, cin, groups, filters, batch] of [[5, 4, 4, 2, 6, 2], [4, 6, 6, 3, 3, 1]]) {
      const x = tf.input({ shape: [h, w, cin / groups] });
      const m = tf.model({ inputs: x, outputs: ap(L.conv2d({ filters, kernelSize: 3, strides: 2, padding: 'same', name: 'g', biasInitializer: 'glorotUniform' }), x), name: 'grouped' });
      // tfjs-layers has no groups: the saved model takes all cin channels in `groups` groups,
      // with the same [3, 3, cin / groups, filters] kernel.
      const files = await saveToMemory(m);
      const layers = files.modelJson.modelTopology.config.layers;
      layers[0].config.batch_input_shape = [null, h, w, cin];
      layers.find((l: { name: string }) => l.name === 'g').config.groups = groups;
      const f = await load(engine, files);
      const [kernel, bias] = m.getLayer('g').getWeights();
      const xs = [{ data: Float32Array.from({ length: batch * h * w * cin }, () => random() * 2 - 1), shape: [batch, h, w, cin] }];
      const oh = Math.ceil(h / 2);
      const ow = Math.ceil(w / 2);
      const r = { data: Float32Array.from({ length: batch * oh * ow * filters }, () => random() * 2 - 1), shape: [batch, oh, ow, filters] };
      const got = await walk(engine, f, { xs, r });
      const [cg, fg] = [cin / groups, filters / groups];
      const want = tf.tidy(() => {
        const loss = (xt: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => {
          const parts = Array.from({ length: groups }, (_, j) =>
            tf.conv2d(tf.slice(xt, [0, 0, 0, j * cg], [-1, -1, -1, cg]) as tf.Tensor4D, tf.slice(k, [0, 0, 0, j * fg], [-1, -1, -1, fg]) as tf.Tensor4D, 2, 'same'));
          return tf.sum(tf.mul(tf.add(tf.concat(parts, 3), b), tf.tensor(r.data, r.shape)));
        };
        return tf.grads(loss)([tf.tensor(xs[0].data, xs[0].shape), kernel, bias]).map((t) => t.dataSync() as Float32Array);
      });
      expectClose(got.dxs[0], want[0], TOL, `grouped ${groups}: dx`);
      expectClose(got.dws.get('g')![0]!, want[1], TOL, `grouped ${groups}: dkernel`);
      expectClose(got.dws.get('g')![1]!, want[2], TOL, `grouped ${groups}: dbias`);
    }
  });

  it('needDx and needDw: only the gradients asked for, null for the rest', async () => {
    const random = rng(41);
    const x = tf.input({ shape: [6, 6, 3] });
    const y = invertedResidual(ap(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x), 4, 2, 4, 1, random);
    const se = ap(L.reshape({ targetShape: [1, 1, 4] }), ap(L.dense({ units: 4, activation: 'sigmoid' }), ap(L.globalAveragePooling2d({}), y)));
    const sep = ap(L.separableConv2d({ filters: 2, kernelSize: 3, activation: 'swish' }), ap(L.multiply(), [y, se]));
    const m = tf.model({ inputs: x, outputs: ap(L.concatenate(), [ap(L.cropping2D({ cropping: 1 }), y), sep]), name: 'flags' });
    randomizeBatchNorm(m, random);
    const f = await load(engine, await saveToMemory(m));
    const weights = (f as unknown as { gpuWeights: Tensor[][] }).gpuWeights;
    const values = new Map<string, Tensor>([[f.inputs[0].name, engine.tensor(new Float32Array(2 * 6 * 6 * 3).map(() => random() - 0.5), [2, 6, 6, 3])]]);
    const made: Tensor[] = [...values.values()];
    for (const node of f.nodes) {
      const xs = node.inputs.map((v) => values.get(v)!);
      const ws = weights[node.weights];
      const fwd = node.layer.applyTraining(engine, xs, ws, { seed: 1 });
      made.push(fwd.y, ...(fwd.saved ?? []));
      values.set(node.name, fwd.y);
      const dy = engine.tensor(new Float32Array(fwd.y.size).fill(1), fwd.y.shape);
      made.push(dy);
      const g = { xs, y: fwd.y, dy, weights: ws, saved: fwd.saved ?? [] };
      const none = node.layer.backward!(engine, { ...g, needDx: xs.map(() => false), needDw: false });
      expect(none, `${node.name} (${node.layer.className})`).toEqual({ dxs: xs.map(() => null), dws: ws.map(() => null) });
      // The first input only, no weights; then the weights only.
      const first = node.layer.backward!(engine, { ...g, needDx: xs.map((_, i) => i === 0), needDw: false });
      expect(first.dxs.map((d) => d !== null), `${node.name} dxs`).toEqual(xs.map((_, i) => i === 0));
      expect(first.dws.every((d) => d === null), `${node.name} dws`).toBe(true);
      const only = node.layer.backward!(engine, { ...g, needDx: xs.map(() => false), needDw: true });
      expect(only.dxs.every((d) => d === null), `${node.name} dxs`).toBe(true);
      expect(only.dws.map((d) => d?.shape), `${node.name} dws`).toEqual(ws.map((w) => w.shape));
      made.push(...[...first.dxs, ...only.dws].filter((t): t is Tensor => t !== null));
    }
    await engine.flush();
    for (const t of new Set(made)) if (!t.disposed) t.dispose();
  });

  it('Rescaling is not trainable; the layers without an exact backward have none (fit refuses them by name)', async () => {
    const x = tf.input({ shape: [4, 4, 2] });
    const outs = [
      ap(L.activation({ activation: 'gelu' as 'relu', name: 'act_gelu' }), x),
      ap(L.conv2d({ filters: 2, kernelSize: 1, activation: 'gelu' as 'relu', name: 'conv_gelu' }), x),
      ap(L.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'bilinear' }), x),
      ap(L.rescaling({ scale: 2, name: 'rescale' }), x),
    ].map((t) => ap(L.flatten(), t));
    const f = await load(engine, await saveToMemory(tf.model({ inputs: x, outputs: ap(L.concatenate(), outs), name: 'none' })));
    const layer = (name: string) => f.nodes.find((n) => n.layer.name === name)!.layer;
    for (const name of ['act_gelu', 'conv_gelu', 'bilinear']) expect(layer(name).backward, name).toBeUndefined();
    expect(layer('rescale').backward).toBeDefined();
    expect(layer('rescale').trainable).toBe(false);
    expect(f.nodes.filter((n) => n.layer.backward === undefined).length).toBe(3);
  });
});
