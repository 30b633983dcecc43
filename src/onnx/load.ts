// loadOnnxModel: bytes, a URL (http(s) through fetch; relative in a browser) or, in Node, a
// file:// URL or a plain path (read through node:fs, imported lazily with a specifier bundlers
// leave alone, so the browser build never pulls node: modules in).

import type { Engine } from '../engine.js';
import { describe } from '../ops/args.js';
import { prepareGraph } from './graph.js';
import { OnnxModel } from './model.js';
import { decodeModel, type ModelMessage } from './schema.js';
import { failLoad, OnnxLoadError } from './values.js';

export type OnnxModelSource = string | URL | ArrayBuffer | ArrayBufferView;

export interface LoadOnnxModelOptions {
  /** Upload the weights to this engine (model.to(engine)). */
  engine?: Engine;
  /** fetch to use for http(s) and browser URLs (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /**
   * Check and plan the model now for these input shapes ({ name: [...] }, or a list of such): the
   * graph's symbolic dimensions are otherwise bound from the tensors at the first run with each shape.
   */
  inputShapes?: Record<string, readonly number[]> | Record<string, readonly number[]>[];
}

/** What parseOnnxModel takes of loadOnnxModel's options. */
export type ParseOnnxModelOptions = Pick<LoadOnnxModelOptions, 'inputShapes'>;

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { window?: unknown }).window === 'undefined';
const dynamicImport = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);

async function fetchBytes(url: URL, fetchFn: typeof fetch | undefined): Promise<Uint8Array> {
  const f = fetchFn ?? (globalThis.fetch as typeof fetch | undefined);
  if (!f) failLoad(`no fetch() to read ${url.href} with; pass { fetch }`);
  let res: Response;
  try {
    res = await f!(url.href);
  } catch (e) {
    return failLoad(`could not fetch ${url.href}: ${(e as Error).message}`);
  }
  if (!res.ok) failLoad(`fetching ${url.href} answered ${res.status} ${res.statusText}`.trimEnd());
  return new Uint8Array(await res.arrayBuffer());
}

async function readFileBytes(source: string | URL): Promise<Uint8Array> {
  const fs = await dynamicImport('node:fs/promises');
  const path = await dynamicImport('node:path');
  const { fileURLToPath } = await dynamicImport('node:url');
  const file: string = source instanceof URL || source.startsWith('file:') ? fileURLToPath(source) : path.resolve(source);
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (e) {
    return failLoad(`could not read ${file}: ${(e as Error).message}`);
  }
}

async function bytesOf(source: OnnxModelSource, options: LoadOnnxModelOptions): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof source === 'string' || source instanceof URL) {
    const s = source instanceof URL ? source.href : source;
    if (s === '') failLoad('source is an empty string; pass the URL or path of a .onnx file, or its bytes');
    if (/^https?:/i.test(s)) return fetchBytes(new URL(s), options.fetch);
    if (isNode) return readFileBytes(source);
    return fetchBytes(new URL(s, (globalThis as { location?: { href: string } }).location?.href), options.fetch);
  }
  return failLoad(`source must be the bytes of a .onnx file (ArrayBuffer or typed array), or its URL or path, got ${describe(source)}`);
}

/**
 * Decodes and checks ONNX bytes: every operator, attribute and shape (synchronous, no GPU). A model
 * with symbolic dimensions (other than the batch) is planned at its first run with each input
 * shape, or here for `inputShapes`.
 */
export function parseOnnxModel(bytes: Uint8Array, options: ParseOnnxModelOptions = {}): OnnxModel {
  if (!(bytes instanceof Uint8Array)) failLoad(`bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (options === null || typeof options !== 'object') failLoad(`options must be an object, got ${describe(options)}`);
  const shapes = options.inputShapes;
  if (shapes !== undefined && (shapes === null || typeof shapes !== 'object')) failLoad(`inputShapes must be { input name: shape } (or a list of them), got ${describe(shapes)}`);
  if (bytes.length === 0) failLoad('the file is empty');
  let model: ModelMessage;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    return failLoad(`not an ONNX model (the protobuf does not decode: ${(e as Error).message})`);
  }
  if (!model.graph) failLoad('not an ONNX model (no graph in the ModelProto)');
  return new OnnxModel(prepareGraph(model), shapes === undefined ? [] : Array.isArray(shapes) ? shapes : [shapes]);
}

/**
 * Loads an ONNX model built from the operators Condense maps (Conv, pooling, activations,
 * BatchNormalization, Gemm/MatMul, Add, Concat, Softmax, Flatten/Reshape, ...); it runs in NCHW,
 * as ONNX lays tensors out. Throws OnnxLoadError naming the node and operator of anything it
 * cannot run.
 */
export async function loadOnnxModel(source: OnnxModelSource, options: LoadOnnxModelOptions = {}): Promise<OnnxModel> {
  if (options === null || typeof options !== 'object') failLoad(`options must be an object, got ${describe(options)}`);
  const model = parseOnnxModel(await bytesOf(source, options), { inputShapes: options.inputShapes });
  if (options.engine) model.to(options.engine);
  return model;
}

export { OnnxLoadError };
