import { createEngine, type AdapterInfo, type Engine } from '../../src/index.js';

/** Where a page computes: Condense on the GPU, or only the CPU reference when there is no WebGPU. */
export type Backend = { kind: 'gpu'; engine: Engine; adapterName: string } | { kind: 'cpu'; reason: string };

export function adapterName(info: AdapterInfo): string {
  const parts = [info.description, [info.vendor, info.architecture].filter(Boolean).join(' ')].filter(Boolean);
  return parts.join(' — ') || 'unnamed WebGPU adapter';
}

/**
 * The GPU when the browser has one, otherwise the reason why not. `?cpu` (or `?nowebgpu`) in the
 * URL asks for the CPU path on purpose, to compare or to demo the fallback.
 */
export async function acquireBackend(): Promise<Backend> {
  const params = new URLSearchParams(location.search);
  if (params.has('cpu') || params.has('nowebgpu')) {
    return { kind: 'cpu', reason: 'CPU mode was asked for in the address (?cpu), so WebGPU is not used.' };
  }
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { kind: 'cpu', reason: 'This browser has no WebGPU (navigator.gpu is missing). Try a current Chrome or Edge, or enable WebGPU in your browser’s settings.' };
  }
  try {
    const engine = await createEngine();
    return { kind: 'gpu', engine, adapterName: adapterName(engine.adapterInfo) };
  } catch (e) {
    return { kind: 'cpu', reason: `WebGPU is present but could not start: ${(e as Error).message}` };
  }
}

/** The page-wide notice that the GPU is not being used; also for a device lost mid-session. */
export function showNoWebGpuBanner(reason: string): HTMLElement {
  let banner = document.getElementById('no-webgpu-banner');
  if (!banner) {
    banner = document.createElement('div');
    banner.id = 'no-webgpu-banner';
    banner.className = 'banner';
    banner.setAttribute('role', 'alert');
    document.body.prepend(banner);
  }
  banner.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = 'No WebGPU — running on the CPU reference. ';
  banner.append(strong, reason, ' Everything still works: the plain-loop reference computes what the GPU would, only more slowly, and there are no GPU-vs-CPU differences to show.');
  return banner;
}

/** Times an async step in milliseconds. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}
