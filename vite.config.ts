import { createReadStream, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';

// The fetched models (node_modules/.cache/condense-models, see scripts/fetch-*.mjs) served as plain
// bytes: Vite would take an extensionless weight shard such as `group1-shard1of1` for a module
// and fail to transform it, so the pages could not load those models under `npm start`.
const CACHE_URL = '/node_modules/.cache/condense-models/';
function modelCache(): Plugin {
  return {
    name: 'condense-model-cache',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0]);
        if (!url.startsWith(CACHE_URL)) return next();
        const root = join(server.config.root, CACHE_URL);
        const file = normalize(join(server.config.root, url));
        if (!file.startsWith(root)) return next();
        try {
          const size = statSync(file).size;
          res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
          res.setHeader('Content-Length', String(size));
          createReadStream(file).pipe(res);
        } catch {
          next();
        }
      });
    },
  };
}

// One config serves the library build (dist/, WGSL inlined through `?raw`) and vitest.
export default defineConfig({
  plugins: [modelCache()],
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
