// Folding an inference-time BatchNormalization into the Conv2D or Dense before it:
//   y = gamma * (conv(x) + b - mean) / sqrt(var + eps) + beta
//     = conv'(x) + b'   with   w'[..., c] = w[..., c] * s_c,   b'_c = (b_c - mean_c) * s_c + beta_c,
//   s_c = gamma_c / sqrt(var_c + eps).
// The output channel is the last axis of both HWIO conv kernels and [in, units] dense kernels.
// Computed in float64, rounded once to float32.

export interface BatchNormParams {
  /** null when the layer has scale: false (gamma = 1). */
  gamma: Float32Array | null;
  /** null when the layer has center: false (beta = 0). */
  beta: Float32Array | null;
  movingMean: Float32Array;
  movingVariance: Float32Array;
  epsilon: number;
}

export function foldBatchNorm(kernel: Float32Array, bias: Float32Array | null, bn: BatchNormParams): { kernel: Float32Array; bias: Float32Array } {
  const channels = bn.movingMean.length;
  if (kernel.length % channels !== 0) throw new Error(`foldBatchNorm: kernel of ${kernel.length} values is not a multiple of ${channels} channels`);
  const scale = new Float64Array(channels);
  const outBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const gamma = bn.gamma ? bn.gamma[c] : 1;
    scale[c] = gamma / Math.sqrt(bn.movingVariance[c] + bn.epsilon);
    outBias[c] = ((bias ? bias[c] : 0) - bn.movingMean[c]) * scale[c] + (bn.beta ? bn.beta[c] : 0);
  }
  const outKernel = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) outKernel[i] = kernel[i] * scale[i % channels];
  return { kernel: outKernel, bias: outBias };
}
