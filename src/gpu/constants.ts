// The WebGPU flag values, fixed by the spec. Node's Dawn binding does not define the
// GPUBufferUsage / GPUMapMode globals unless a caller installs them, so the engine carries its own.
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

export const MapMode = { READ: 0x0001 } as const;

/** Usage of every tensor buffer: written by uploads and kernels, read by kernels and readback copies. */
export const TENSOR_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
export const UNIFORM_USAGE = BufferUsage.UNIFORM | BufferUsage.COPY_DST;
export const STAGING_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
