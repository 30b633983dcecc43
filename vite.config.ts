import { defineConfig } from 'vitest/config';

// One config serves the library build (dist/, WGSL inlined through `?raw`) and vitest.
export default defineConfig({
  build: {
    target: 'es2022',
    sourcemap: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'index' },
    rollupOptions: {
      external: ['webgpu', /^node:/],
      // No `// <module id>` region comments in the published module: they name source files
      // (and `?raw` imports) that do not exist for its users.
      experimental: { attachDebugInfo: 'none' },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn is a native addon that keeps one Vulkan instance per process: forks, not threads.
    pool: 'forks',
    // The soak tests force collections to measure the JS heap.
    execArgv: ['--expose-gc'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
