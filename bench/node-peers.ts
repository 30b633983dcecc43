// The peers in Node, on Dawn: tfjs-webgpu and onnxruntime-web want a browser's navigator.gpu and
// GPU* constants, which the bench installs here from the `webgpu` package (the library never does),
// after the engine has picked its adapter, so every engine runs on the same one.
import tfjsWebgpuPkg from '@tensorflow/tfjs-backend-webgpu/package.json';
import { readFile } from 'node:fs/promises';
import type { Tf } from './engines.js';
import type { ModelFiles } from './models.js';

/** Model files from disk, paths from the repository root (the working directory). */
export const nodeFiles: ModelFiles = {
  async read(path) {
    const b = await readFile(path).catch((e) => {
      throw new Error(`${path}: ${(e as Error).message} (fetch it: node scripts/fetch-models.mjs / fetch-onnx-models.mjs)`);
    });
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  },
};

let installed = false;

function installNavigatorGpu(webgpu: { create(flags: string[]): GPU; globals: object }): void {
  if (installed) return;
  installed = true;
  Object.assign(globalThis, webgpu.globals);
  // Created after the engine, so it sees the VK_ICD_FILENAMES the engine's SwiftShader fallback set.
  const gpu = webgpu.create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `node ${process.version}` }, configurable: true });
  // onnxruntime-web's WebGPU runtime writes from views of its (shared) wasm memory; Dawn's Node
  // binding refuses SharedArrayBuffer views ("Invalid argument") where browsers take them. Such a
  // write is copied into a plain buffer first; every other write (Condense's, tfjs's) is untouched.
  const queue = (globalThis as any).GPUQueue?.prototype;
  if (!queue) return;
  const writeBuffer = queue.writeBuffer;
  queue.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number) {
    const backing = ArrayBuffer.isView(data) ? data.buffer : data;
    if (typeof SharedArrayBuffer === 'undefined' || !(backing instanceof SharedArrayBuffer) || !ArrayBuffer.isView(data)) {
      return writeBuffer.call(this, buffer, offset, data, dataOffset, size);
    }
    const unit = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const start = (dataOffset ?? 0) * unit;
    const bytes = size === undefined ? data.byteLength - start : size * unit;
    const copy = new Uint8Array(bytes);
    copy.set(new Uint8Array(backing, data.byteOffset + start, bytes));
    return writeBuffer.call(this, buffer, offset, copy, 0, bytes);
  };
}

async function webgpuModule() {
  return (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: object };
}

export async function loadTfjs(): Promise<{ tf: Tf; version: string }> {
  installNavigatorGpu(await webgpuModule());
  const core: any = await import('@tensorflow/tfjs-core');
  const tf: Tf = core.setBackend ? core : core.default;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  await tf.ready();
  return { tf, version: tfjsWebgpuPkg.version };
}

export async function loadTfjsLayers(): Promise<Pick<typeof import('@tensorflow/tfjs-layers'), 'loadLayersModel'>> {
  const m: any = await import('@tensorflow/tfjs-layers');
  return m.loadLayersModel ? m : m.default;
}

type Ort = typeof import('onnxruntime-web');

/**
 * onnxruntime-web twice: its WebGPU build (`onnxruntime-web/webgpu`) for the WebGPU peer, and its
 * Node build (plain wasm) for the wasm peer, as a user of each would load it.
 */
export async function loadOrt(): Promise<{ webgpu: Ort; wasm: Ort; version: string; threads: string }> {
  installNavigatorGpu(await webgpuModule());
  const pick = (m: any): Ort => (m.InferenceSession ? m : m.default);
  const webgpu = pick(await import('onnxruntime-web/webgpu'));
  const wasm = pick(await import('onnxruntime-web'));
  return { webgpu, wasm, version: String(webgpu.env.versions?.web ?? '?'), threads: String(wasm.env.wasm.numThreads ?? 'default') };
}
