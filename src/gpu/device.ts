import { INSTALL_HINT, nodeGpu } from './node-gpu.js';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
  /** How Condense found the adapter (browser navigator.gpu, Dawn, SwiftShader fallback). */
  source: string;
  features: string[];
  limits: Record<string, number>;
  /** Smallest and largest subgroup sizes, where the adapter says. */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface DeviceOptions {
  /** A `navigator.gpu`-like object to use instead of the platform's. */
  gpu?: GPU;
  /** An adapter already chosen by the caller. */
  adapter?: GPUAdapter;
  powerPreference?: GPUPowerPreference;
  /** Limits to request; by default the adapter's maximum buffer sizes are requested. */
  requiredLimits?: Record<string, number>;
  /** Node only: flags for Dawn's `create()`, e.g. ['backend=vulkan']. */
  dawnFlags?: string[];
}

export class NoWebGpuError extends Error {
  override name = 'NoWebGpuError';
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as any).window === 'undefined';

function limitsObject(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  // Limits are prototype getters, invisible to Object.keys.
  for (let o: object | null = limits; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      const v = (limits as any)[key];
      if (typeof v === 'number' && !(key in out)) out[key] = v;
    }
  }
  return out;
}

export async function acquireDevice(options: DeviceOptions): Promise<{ device: GPUDevice; adapter: GPUAdapter; info: AdapterInfo; gpu: GPU | undefined }> {
  const adapterOptions: GPURequestAdapterOptions = options.powerPreference ? { powerPreference: options.powerPreference } : {};
  let adapter = options.adapter ?? null;
  let gpu = options.gpu;
  let source = options.adapter ? 'caller-provided adapter' : options.gpu ? 'caller-provided GPU object' : '';
  if (!adapter) {
    if (gpu) {
      adapter = await gpu.requestAdapter(adapterOptions);
    } else if (typeof navigator !== 'undefined' && (navigator as any).gpu) {
      gpu = (navigator as any).gpu as GPU;
      adapter = await gpu.requestAdapter(adapterOptions);
      source = 'navigator.gpu';
    } else if (isNode) {
      const found = await nodeGpu(options.dawnFlags ?? [], adapterOptions);
      gpu = found.gpu;
      adapter = found.adapter;
      source = found.note;
    } else {
      throw new NoWebGpuError(`This browser has no WebGPU (navigator.gpu is missing). ${INSTALL_HINT}`);
    }
  }
  if (!adapter) throw new NoWebGpuError(`No WebGPU adapter was found (${source || 'navigator.gpu'}). ${INSTALL_HINT}`);

  const features: GPUFeatureName[] = [];
  for (const f of ['timestamp-query', 'subgroups'] as GPUFeatureName[]) if (adapter.features.has(f)) features.push(f);
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
    ...options.requiredLimits,
  };
  const device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits, label: 'condense' });
  const ai = adapter.info;
  const info: AdapterInfo = {
    vendor: ai?.vendor ?? '',
    architecture: ai?.architecture ?? '',
    description: ai?.description ?? '',
    device: ai?.device ?? '',
    source,
    features: [...adapter.features].map(String).sort(),
    limits: limitsObject(device.limits),
    subgroupMinSize: (ai as { subgroupMinSize?: number } | undefined)?.subgroupMinSize,
    subgroupMaxSize: (ai as { subgroupMaxSize?: number } | undefined)?.subgroupMaxSize,
  };
  return { device, adapter, info, gpu };
}
