import { describe, expect, it, vi } from 'vitest';
import { gpuEngine } from './helpers/gpu.js';

describe('GPU test helper', () => {
  it('fails loudly, with install instructions, when no adapter exists', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    await expect(gpuEngine({ gpu })).rejects.toThrow(/NO WEBGPU ADAPTER: GPU tests cannot run and are FAILING, not skipped.*apt-get install -y chromium libvulkan1/s);
    expect(error).toHaveBeenCalled();
    error.mockRestore();
  });
});
