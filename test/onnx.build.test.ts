// The built library loads and runs ONNX models from plain Node (protobufjs bundled in, files read
// through node:fs imported lazily), and its browser bundle still has no node: imports.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnnxModel } from '../src/index.js';

const root = resolve(__dirname, '..');

describe('ONNX in the library build', () => {
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const out = mkdtempSync(join(root, 'node_modules', '.cache', 'condense-onnx-dist-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('loads an .onnx file by path and predicts from plain Node 20', async () => {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', build: { outDir: out, emptyOutDir: true, sourcemap: false } });
    const bytes = buildOnnxModel({
      inputs: [{ name: 'x', shape: ['N', 1, 4, 4] }],
      outputs: [{ name: 'y' }],
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
        { op: 'Flatten', inputs: ['p'], outputs: ['y'] },
      ],
    });
    writeFileSync(join(out, 'pool.onnx'), bytes);
    writeFileSync(
      join(out, 'smoke.mjs'),
      `import { createEngine, loadOnnxModel } from './index.js';
       const e = await createEngine();
       const m = await loadOnnxModel(new URL('./pool.onnx', import.meta.url).pathname, { engine: e });
       const x = e.tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]);
       console.log(JSON.stringify(Array.from(await m.predict(x).read())));
       e.destroy();`,
    );
    const stdout = execFileSync(process.execPath, [join(out, 'smoke.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual([5, 7, 13, 15]);
  });

  it('bundles loadOnnxModel for browsers without node: modules', async () => {
    const app = join(out, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'main.js'), `import { loadOnnxModel } from '../index.js'; loadOnnxModel('/m.onnx').then((m) => console.log(m.summary()));`);
    writeFileSync(join(app, 'index.html'), `<script type="module" src="./main.js"></script>`);
    await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir: join(app, 'dist'), emptyOutDir: true } });
    const bundle = readdirSync(join(app, 'dist', 'assets')).map((a) => readFileSync(join(app, 'dist', 'assets', a), 'utf8')).join('\n');
    expect(bundle).toContain('loadOnnxModel');
    expect(bundle).not.toMatch(/from"node:|require\("node:|require\("webgpu"\)/);
  });
});
