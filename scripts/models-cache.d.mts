// Types for scripts/models-cache.mjs, so that TypeScript tests can import it under strict mode.

export interface CatalogFile {
  bytes: number;
  sha256: string;
}

export interface CatalogModel {
  id: string;
  package: string;
  source: { kind: 'files' | 'umd-base64'; dir: string; modelJson?: string; shardSuffix?: string };
  what: string;
  keras: string;
  topology: string;
  input: { shape: (number | null)[]; range: [number, number]; check: number[] };
  output: (number | null)[];
  layers: Record<string, number>;
  activations: string[];
  quantization: Record<string, number> | null;
  customLayers?: Record<string, string>;
  notes: string[];
  weightBytes: number;
  files: Record<string, CatalogFile>;
}

export interface Catalog {
  about: string;
  packages: Record<string, { license: string; copyright: string; integrity: string; note?: string }>;
  models: CatalogModel[];
}

export interface ModelArtifacts {
  modelTopology: object;
  weightSpecs: object[];
  weightData: ArrayBuffer;
  format?: string;
}

export const catalogPath: string;
export const catalog: Catalog;
export const modelsCacheDir: string;
export function catalogEntry(id: string): CatalogModel;
export function modelDir(id: string): string;
export function modelPath(id: string): string;
export function isFetched(id: string): boolean;
export function readModelArtifacts(id: string): ModelArtifacts;
// `tf` is the @tensorflow/tfjs namespace; typed loosely to keep this file free of that import.
export function registerCustomLayers(tf: unknown): void;

// ---- ONNX models (models/third-party/onnx-catalog.json) ----

export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  dtype: string;
  shape: OnnxDim[] | null;
}

export interface OnnxCatalogModel {
  id: string;
  package: string;
  /** Path of the .onnx file inside the npm package. */
  path: string;
  what: string;
  exporter: string;
  input: { layout: string; check: number[][]; range: [number, number]; preprocessing: string };
  notes: string[];
  file?: CatalogFile;
  /** Written by scripts/check-onnx-models.mjs --record. */
  header?: { producer: { name: string; version: string }; irVersion: number; opset: Record<string, number> };
  inputs?: OnnxValueInfo[];
  outputs?: OnnxValueInfo[];
  graph?: {
    nodes: number;
    opTypes: Record<string, number>;
    shapeSubgraphOps: Record<string, number>;
    constantFoldedOps: Record<string, number>;
    convKinds: Record<string, number>;
    initializers: { count: number; bytes: number; dtypes: Record<string, number>; inputsAlsoInitializers: number };
    constantNodes: { count: number; bytes: number };
    externalData: boolean;
  };
  ort?: { input: number[]; outputs?: Record<string, number[]>; ms?: number; error?: string }[];
}

export interface OnnxCatalog {
  about: string;
  packages: Record<string, { license: string; copyright: string; integrity: string; note?: string }>;
  models: OnnxCatalogModel[];
}

export const onnxCatalogPath: string;
export const onnxCatalog: OnnxCatalog;
export function onnxCatalogEntry(id: string): OnnxCatalogModel;
export function onnxModelPath(id: string): string;
export function isOnnxFetched(id: string): boolean;
export function readOnnxModel(id: string): Uint8Array;
export function formatCatalog(value: unknown, indent?: string): string;
