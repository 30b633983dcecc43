// Plain-loop replacements for the tfjs-backend-cpu kernels that dominate training a small CNN:
// Conv2D / FusedConv2D (linear or relu, dilation 1), Conv2DBackpropFilter, Conv2DBackpropInput,
// MaxPool and MaxPoolGrad, all NHWC. The stock kernels go through generic index math and are
// 5-100x slower; these compute the same sums (f64 accumulation for the filter gradient), so
// training takes minutes instead of hours. Anything outside what they handle falls back to the
// stock kernel. Used only by scripts/train-digits.mjs, never by Condense or its tests.
// The three convolution kernels write out the same loop nest on purpose: one shared nest calling
// back per tap gave the same results but made a training step 1.35x slower (the call site sees
// three callbacks, so V8 inlines none of them).

import * as tf from '@tensorflow/tfjs';

const { backend_util } = tf;

function replace(kernelName, make) {
  const stock = tf.getKernel(kernelName, 'cpu');
  if (!stock) throw new Error(`tfjs-fast-cpu: no stock ${kernelName} kernel`);
  tf.unregisterKernel(kernelName, 'cpu');
  tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: make(stock.kernelFunc) });
}

const values = (backend, t) => backend.data.get(t.dataId).values;
const isNhwc = (f) => f === undefined || f === 'NHWC' || f === 'channelsLast';
const unitDilation = (d) => d === undefined || d === 1 || (Array.isArray(d) && d.every((v) => v === 1));

function conv2dForward(x, filter, c, xv, fv, bias, relu) {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  const KH = c.filterHeight, KW = c.filterWidth, SH = c.strideHeight, SW = c.strideWidth;
  const top = c.padInfo.top, left = c.padInfo.left;
  const out = new Float32Array(N * OH * OW * CO);
  const acc = new Float64Array(CO);
  for (let b = 0; b < N; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        acc.fill(0);
        for (let r = 0; r < KH; r++) {
          const ih = oh * SH - top + r;
          if (ih < 0 || ih >= H) continue;
          for (let s = 0; s < KW; s++) {
            const iw = ow * SW - left + s;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((b * H + ih) * W + iw) * CI;
            const wBase = (r * KW + s) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const v = xv[xBase + ci];
              if (v === 0) continue;
              const wb = wBase + ci * CO;
              for (let co = 0; co < CO; co++) acc[co] += v * fv[wb + co];
            }
          }
        }
        const o = ((b * OH + oh) * OW + ow) * CO;
        for (let co = 0; co < CO; co++) {
          let v = acc[co] + (bias ? bias[co] : 0);
          if (relu && v < 0) v = 0;
          out[o + co] = v;
        }
      }
    }
  }
  return out;
}

export function registerFastCpuKernels() {
  replace('Conv2D', (stock) => (args) => {
    const { inputs, backend, attrs } = args;
    if (!isNhwc(attrs.dataFormat) || !unitDilation(attrs.dilations)) return stock(args);
    const { x, filter } = inputs;
    const c = backend_util.computeConv2DInfo(x.shape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    return backend.makeTensorInfo(c.outShape, 'float32', conv2dForward(x, filter, c, values(backend, x), values(backend, filter), null, false));
  });

  replace('FusedConv2D', (stock) => (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs;
    const act = attrs.activation ?? 'linear';
    if (!isNhwc(attrs.dataFormat) || !unitDilation(attrs.dilations) || preluActivationWeights || (act !== 'linear' && act !== 'relu')) return stock(args);
    const c = backend_util.computeConv2DInfo(x.shape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const b = bias ? values(backend, bias) : null;
    if (b && b.length !== c.outChannels) return stock(args);
    return backend.makeTensorInfo(c.outShape, 'float32', conv2dForward(x, filter, c, values(backend, x), values(backend, filter), b, act === 'relu'));
  });

  replace('Conv2DBackpropFilter', (stock) => (args) => {
    const { inputs, backend, attrs } = args;
    if (!isNhwc(attrs.dataFormat)) return stock(args);
    const { x, dy } = inputs;
    const c = backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const xv = values(backend, x);
    const dyv = values(backend, dy);
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
    const KH = c.filterHeight, KW = c.filterWidth, SH = c.strideHeight, SW = c.strideWidth;
    const top = c.padInfo.top, left = c.padInfo.left;
    const acc = new Float64Array(KH * KW * CI * CO);
    for (let b = 0; b < N; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const dyBase = ((b * OH + oh) * OW + ow) * CO;
          for (let r = 0; r < KH; r++) {
            const ih = oh * SH - top + r;
            if (ih < 0 || ih >= H) continue;
            for (let s = 0; s < KW; s++) {
              const iw = ow * SW - left + s;
              if (iw < 0 || iw >= W) continue;
              const xBase = ((b * H + ih) * W + iw) * CI;
              const wBase = (r * KW + s) * CI * CO;
              for (let ci = 0; ci < CI; ci++) {
                const v = xv[xBase + ci];
                if (v === 0) continue;
                const wb = wBase + ci * CO;
                for (let co = 0; co < CO; co++) acc[wb + co] += v * dyv[dyBase + co];
              }
            }
          }
        }
      }
    }
    return backend.makeTensorInfo(attrs.filterShape, 'float32', Float32Array.from(acc));
  });

  replace('Conv2DBackpropInput', (stock) => (args) => {
    const { inputs, backend, attrs } = args;
    if (!isNhwc(attrs.dataFormat)) return stock(args);
    const { dy, filter } = inputs;
    const c = backend_util.computeConv2DInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    const dyv = values(backend, dy);
    const fv = values(backend, filter);
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
    const KH = c.filterHeight, KW = c.filterWidth, SH = c.strideHeight, SW = c.strideWidth;
    const top = c.padInfo.top, left = c.padInfo.left;
    const dx = new Float32Array(N * H * W * CI);
    for (let b = 0; b < N; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const dyBase = ((b * OH + oh) * OW + ow) * CO;
          for (let r = 0; r < KH; r++) {
            const ih = oh * SH - top + r;
            if (ih < 0 || ih >= H) continue;
            for (let s = 0; s < KW; s++) {
              const iw = ow * SW - left + s;
              if (iw < 0 || iw >= W) continue;
              const xBase = ((b * H + ih) * W + iw) * CI;
              const wBase = (r * KW + s) * CI * CO;
              for (let ci = 0; ci < CI; ci++) {
                const wb = wBase + ci * CO;
                let sum = 0;
                for (let co = 0; co < CO; co++) sum += fv[wb + co] * dyv[dyBase + co];
                dx[xBase + ci] += sum;
              }
            }
          }
        }
      }
    }
    return backend.makeTensorInfo(attrs.inputShape, 'float32', dx);
  });

  // Max pooling: the window's first maximum wins (as tfjs' maxPoolPositions), and its position
  // receives the gradient.
  function argmaxes(xv, c) {
    const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = c;
    const KH = c.filterHeight, KW = c.filterWidth, SH = c.strideHeight, SW = c.strideWidth;
    const top = c.padInfo.top, left = c.padInfo.left;
    const pos = new Int32Array(N * OH * OW * C);
    const out = new Float32Array(N * OH * OW * C);
    for (let b = 0; b < N; b++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const o = ((b * OH + oh) * OW + ow) * C;
          for (let ch = 0; ch < C; ch++) {
            let m = -Infinity;
            let at = -1;
            for (let r = 0; r < KH; r++) {
              const ih = oh * SH - top + r;
              if (ih < 0 || ih >= H) continue;
              for (let s = 0; s < KW; s++) {
                const iw = ow * SW - left + s;
                if (iw < 0 || iw >= W) continue;
                const i = ((b * H + ih) * W + iw) * C + ch;
                if (xv[i] > m || at < 0) {
                  m = xv[i];
                  at = i;
                }
              }
            }
            out[o + ch] = m;
            pos[o + ch] = at;
          }
        }
      }
    }
    return { out, pos };
  }
  const poolInfo = (shape, attrs) => backend_util.computePool2DInfo(shape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);

  replace('MaxPool', () => ({ inputs, backend, attrs }) => {
    const c = poolInfo(inputs.x.shape, attrs);
    return backend.makeTensorInfo(c.outShape, 'float32', argmaxes(values(backend, inputs.x), c).out);
  });

  replace('MaxPoolGrad', () => ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs;
    const c = poolInfo(input.shape, attrs);
    const { pos } = argmaxes(values(backend, input), c);
    const dyv = values(backend, dy);
    const dx = new Float32Array(input.shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < pos.length; i++) if (pos[i] >= 0) dx[pos[i]] += dyv[i];
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  });
}
