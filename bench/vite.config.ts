import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Bundles the Node CLI (src/ imports WGSL with `?raw`, which plain node cannot load). Dawn, tfjs,
// onnxruntime-web, Vite and Playwright (the model cases' browser) and node: builtins stay external and load from node_modules at run time.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  logLevel: 'warn',
  build: {
    ssr: 'bench/cli.ts',
    outDir: 'node_modules/.cache/condense-bench',
    emptyOutDir: true,
    target: 'node20',
    sourcemap: true,
    rollupOptions: {
      external: [/^webgpu$/, /^@tensorflow\/(?!.*\/package\.json$)/, /^onnxruntime-web/, /^vite$/, /^playwright-core$/, /^@playwright\//, /^node:/],
      output: { entryFileNames: 'cli.js' },
    },
  },
});
