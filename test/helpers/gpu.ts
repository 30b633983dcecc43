import { afterAll } from 'vitest';
import { createEngine, type Engine, type EngineOptions } from '../../src/index.js';

let enginePromise: Promise<Engine> | undefined;

/**
 * The engine for a test file. No adapter is a failure, never a skip: the message says how to get
 * one (on a machine without a GPU, SwiftShader from Chromium through Dawn).
 */
export function gpuEngine(options?: EngineOptions): Promise<Engine> {
  enginePromise ??= createEngine(options).catch((e: Error) => {
    const message =
      `\n\n*** NO WEBGPU ADAPTER: GPU tests cannot run and are FAILING, not skipped. ***\n${e.message}\n` +
      `On Debian/Ubuntu: apt-get install -y chromium libvulkan1 (gives /usr/lib/chromium/vk_swiftshader_icd.json).\n`;
    console.error(message);
    throw new Error(message);
  });
  return enginePromise;
}

afterAll(async () => {
  if (enginePromise) (await enginePromise.catch(() => undefined))?.destroy();
  enginePromise = undefined;
});

/** Runs `fn` inside a validation error scope and fails the test if the GPU reported anything. */
export async function withValidation<T>(engine: Engine, fn: () => Promise<T>): Promise<T> {
  engine.device.pushErrorScope('validation');
  let result: T;
  try {
    result = await fn();
  } finally {
    const error = await engine.device.popErrorScope();
    if (error) throw new Error(`GPU validation error: ${error.message}`);
  }
  return result;
}
