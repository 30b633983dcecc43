// `npm run bench -- --models`: the whole-model cases run where their users run them, in Chromium
// (headless, SwiftShader unless E2E_ADAPTER=hardware, the flags of playwright.config.ts), on the
// profile page served by Vite, which the CLI drives and reads the report from. In Node (Dawn)
// onnxruntime-web's WebGPU backend took 70 s to create a session for the 28x28 digit model and
// 200 s for its first run, so it could not stand for what a browser user sees.
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { chromiumArgs } from '../playwright.config.js';
import type { ModelBenchReport, ModelBenchSettings } from './model-run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runModelsInChromium(settings: ModelBenchSettings, log: (line: string) => void, timeoutMs = 3_600_000): Promise<ModelBenchReport> {
  const { createServer } = await import('vite');
  const server = await createServer({ configFile: 'vite.e2e.config.ts', logLevel: 'warn', server: { host: '127.0.0.1', port: 5183, strictPort: false } });
  await server.listen();
  const base = server.resolvedUrls?.local[0];
  if (!base) throw new Error('the Vite server did not say where it listens');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: chromiumArgs });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    // Vite's dev server takes a file without an extension (the converter's 'group1-shard1of1') for
    // a JS module and fails to parse it: the model cache is served from disk, byte for byte.
    await page.route(/\/node_modules\/\.cache\/condense-models\//, async (route) => {
      const path = decodeURIComponent(new URL(route.request().url()).pathname).slice(1);
      if (path.split('/').includes('..')) return route.abort();
      try {
        await route.fulfill({ body: await readFile(path), contentType: 'application/octet-stream' });
      } catch {
        await route.fulfill({ status: 404, body: `${path}: not in the model cache (node scripts/fetch-models.mjs / fetch-onnx-models.mjs)` });
      }
    });
    const query = new URLSearchParams({
      preset: settings.preset,
      models: settings.modelIds.join(','),
      warmup: String(settings.warmup),
      iterations: String(settings.iterations),
      skip: settings.skip.join(','),
      autorun: 'models',
    });
    await page.goto(`${base}profile.html?${query}`);
    let last = '';
    const started = Date.now();
    for (;;) {
      const [state, step] = await page.evaluate(() => [document.body.dataset.models ?? '', document.getElementById('models-step')?.textContent ?? '']);
      if (step && step !== last) log(`[chromium] ${(last = step)}`);
      if (state === 'done') break;
      if (state === 'error') throw new Error(`the profile page failed: ${await page.locator('#status').textContent()}`);
      if (Date.now() - started > timeoutMs) throw new Error(`the model run took over ${timeoutMs / 1000} s`);
      await sleep(1000);
    }
    const report = await page.evaluate(() => (window as unknown as { condenseModelBench: ModelBenchReport }).condenseModelBench);
    report.environment.driver = `npm run bench -- --models: headless Chromium ${browser.version()}, ${process.env.E2E_ADAPTER === 'hardware' ? 'its own adapter' : 'SwiftShader forced'}`;
    return report;
  } finally {
    await browser.close();
    await server.close();
  }
}
