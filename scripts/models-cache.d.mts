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
