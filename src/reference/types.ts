/** A tensor on the host: row-major NHWC data and its shape. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}
