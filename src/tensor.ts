import { shapeToString, sizeOf } from './ops/args.js';

/** What a Tensor needs from its engine; keeps tensor.ts free of the engine's imports. */
export interface TensorOwner {
  readTensor(t: Tensor): Promise<Float32Array>;
  releaseTensor(t: Tensor, buffer: GPUBuffer): void;
}

/** Error for using a tensor after dispose, or with another engine. */
export class TensorStateError extends Error {
  override name = 'TensorStateError';
}

/** An NHWC float32 tensor resident on the GPU. Ops on it are recorded lazily; read() submits them. */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly label: string;
  #buffer: GPUBuffer | null;
  #owner: TensorOwner;

  /** @internal Created by the engine only. */
  constructor(owner: TensorOwner, buffer: GPUBuffer, shape: readonly number[], label: string) {
    this.#owner = owner;
    this.#buffer = buffer;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.label = label;
  }

  get disposed(): boolean {
    return this.#buffer === null;
  }

  /** @internal The GPU buffer; throws a clear error once disposed. */
  bufferFor(op: string, name: string): GPUBuffer {
    if (this.#buffer === null) {
      throw new TensorStateError(`${op}: ${name} (${this.label}, shape ${shapeToString(this.shape)}) was disposed and cannot be used again`);
    }
    return this.#buffer;
  }

  /** @internal The engine moves a tensor to a buffer of its own before writing it in place (Recorder.rebind). */
  rebind(buffer: GPUBuffer): void {
    this.bufferFor('rebind', 'tensor');
    this.#buffer = buffer;
  }

  /** @internal */
  ownedBy(owner: TensorOwner): boolean {
    return this.#owner === owner;
  }

  /** Submits everything recorded so far and resolves with a copy of the data. */
  read(): Promise<Float32Array> {
    try {
      this.bufferFor('read', 'tensor');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#owner.readTensor(this);
  }

  /** Returns the GPU memory to the engine's pool. Disposing twice is an error. */
  dispose(): void {
    const buffer = this.bufferFor('dispose', 'tensor');
    this.#buffer = null;
    this.#owner.releaseTensor(this, buffer);
  }

  toString(): string {
    return `Tensor(${this.label}, ${shapeToString(this.shape)}${this.disposed ? ', disposed' : ''})`;
  }
}
