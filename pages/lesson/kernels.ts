// The lesson's kernels. The option values (and labels) are a contract: tests and links select them
// by these names.

export const KERNEL_NAMES = ['edge', 'bottom-sobel', 'left-sobel', 'emboss', 'sharpen', 'identity'] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

export const KERNELS: Record<KernelName, { label: string; values: readonly number[] }> = {
  edge: { label: 'edge detect', values: [-1, -1, -1, -1, 8, -1, -1, -1, -1] },
  'bottom-sobel': { label: 'bottom Sobel', values: [-1, -2, -1, 0, 0, 0, 1, 2, 1] },
  'left-sobel': { label: 'left Sobel', values: [1, 0, -1, 2, 0, -2, 1, 0, -1] },
  emboss: { label: 'emboss', values: [-2, -1, 0, -1, 1, 1, 0, 1, 2] },
  sharpen: { label: 'sharpen', values: [0, -1, 0, -1, 5, -1, 0, -1, 0] },
  identity: { label: 'identity', values: [0, 0, 0, 0, 1, 0, 0, 0, 0] },
};

/** The row of feature maps for global pooling: the six lesson kernels plus the other two Sobels. */
export const BANK: readonly { label: string; values: readonly number[] }[] = [
  ...KERNEL_NAMES.map((n) => KERNELS[n]),
  { label: 'top Sobel', values: [1, 2, 1, 0, 0, 0, -1, -2, -1] },
  { label: 'right Sobel', values: [-1, 0, 1, -2, 0, 2, -1, 0, 1] },
];

/** 3x3 kernels as one HWIO filter [3, 3, 1, count]. */
export function bankFilter(kernels: readonly { values: readonly number[] }[]): { data: Float32Array; shape: number[] } {
  const count = kernels.length;
  const data = new Float32Array(9 * count);
  kernels.forEach((k, co) => k.values.forEach((v, i) => (data[i * count + co] = v)));
  return { data, shape: [3, 3, 1, count] };
}

/** Which named kernel these nine values are, or 'custom'. */
export function kernelNameOf(values: readonly number[]): KernelName | 'custom' {
  return KERNEL_NAMES.find((n) => KERNELS[n].values.every((v, i) => v === values[i])) ?? 'custom';
}
