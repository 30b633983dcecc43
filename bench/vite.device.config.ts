import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The device pack (scripts/device-pack.sh): the benchmark CLI and the device check, for a machine
// with a GPU and no node_modules. Everything is bundled, tfjs included; only Dawn (`webgpu`, whose
// native addon the pack carries beside the bundle) and node: builtins load at run time.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  logLevel: 'warn',
  ssr: { noExternal: true },
  build: {
    ssr: true,
    outDir: '.device/app',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: {
      input: { cli: 'bench/cli.ts', check: 'bench/device-check.ts' },
      // The model cases' browser driver and peers (Vite, Playwright, onnxruntime-web) stay out: the
      // CLI loads them only for --models, which needs node_modules.
      external: [/^webgpu$/, /^node:/, /^vite$/, /^playwright-core$/, /^@playwright\//, /^onnxruntime-web/],
      output: { entryFileNames: '[name].js' },
    },
  },
});
