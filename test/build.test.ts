import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

// The published entry must work from plain Node (no Vite at run time) and bundle for browsers.
describe('library build', () => {
  // Inside node_modules so the built module resolves `webgpu` as an installed package would.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  const out = mkdtempSync(join(root, 'node_modules', '.cache', 'condense-dist-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('emits one ES module with the WGSL inlined', async () => {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', build: { outDir: out, emptyOutDir: true, sourcemap: false } });
    const js = readFileSync(join(out, 'index.js'), 'utf8');
    expect(js).toContain('@compute @workgroup_size(WORKGROUP_SIZE)');
    expect(js).not.toMatch(/\?raw/);
  });

  it('runs from plain Node 20', () => {
    const script = join(out, 'smoke.mjs');
    writeFileSync(
      script,
      `import { createEngine, reference } from './index.js';
       const e = await createEngine();
       const x = e.tensor(new Float32Array([1, -2, 3, -4, 5, -6, 7, -8]), [1, 2, 2, 2]);
       const gpu = Array.from(await e.maxPool2d(x, { poolSize: 2 }).read());
       const cpu = Array.from(reference.maxPool2d({ data: new Float32Array([1, -2, 3, -4, 5, -6, 7, -8]), shape: [1, 2, 2, 2] }, { poolSize: 2 }).data);
       console.log(JSON.stringify({ gpu, cpu }));
       e.destroy();`,
    );
    const stdout = execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ gpu: [7, -2], cpu: [7, -2] });
  });

  it('survives an engine destroyed unused and collected, then serves the next one', () => {
    // Dawn's teardown of a collected instance crashed the process (abort or segfault) before
    // node-gpu.ts kept its instances for the life of the process.
    const script = join(out, 'collect.mjs');
    writeFileSync(
      script,
      `import { createEngine } from './index.js';
       (await createEngine()).destroy();
       for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 100)); }
       const e = await createEngine();
       const x = e.tensor(new Float32Array([1, -2, 3, -4]), [1, 2, 2, 1]);
       console.log(JSON.stringify(Array.from(await e.maxPool2d(x, { poolSize: 2 }).read())));
       e.destroy();`,
    );
    const stdout = execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual([3]);
  });

  it('bundles for browsers without Dawn or node: modules', async () => {
    const app = join(out, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'main.js'), `import { createEngine } from '../index.js'; createEngine().then((e) => e.destroy());`);
    writeFileSync(join(app, 'index.html'), `<script type="module" src="./main.js"></script>`);
    await build({ root: app, configFile: false, logLevel: 'silent', build: { outDir: join(app, 'dist'), emptyOutDir: true } });
    const assets = readdirSync(join(app, 'dist', 'assets'));
    const bundle = assets.map((a) => readFileSync(join(app, 'dist', 'assets', a), 'utf8')).join('\n');
    expect(bundle).toContain('navigator');
    expect(bundle).not.toMatch(/dawn\.node|from"node:|require\("webgpu"\)/);
  });
});
