import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test, type Download, type Page } from '@playwright/test';
import { examplePicture, SIZE, toInput } from '../pages/transfer/examples.js';
import { openPage, renderedAfter, runs } from './helpers/page.js';

// transfer.html: the pretrained base (nsfwjs's MobileNetV2, fetched into node_modules/.cache and
// laid out for Vite by scripts/prepare-transfer-base.mjs) cut at out_relu, the built-in example set's features, training the
// head with compile/fit to at least 90% on the held-out pictures, and a dropped picture classified.
// SwiftShader runs MobileNetV2 at 224 x 224 in about a second a picture: the timeouts are generous.

const PREPARE = fileURLToPath(new URL('../scripts/prepare-transfer-base.mjs', import.meta.url));

test.beforeAll(() => {
  test.setTimeout(660_000);
  // What npm start's prestart does: fetched once from the npm registry if missing, then laid out for Vite.
  execFileSync(process.execPath, [PREPARE], { stdio: 'inherit', timeout: 600_000 });
});

const state = (page: Page) => page.evaluate(() => window.condenseTransfer!);

/** Clicks `selector` and waits until the page has finished everything the click queued. */
async function act(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = await runs(page);
  await action();
  await renderedAfter(page, before);
}

/** Per canvas: whether it holds more than one colour. */
const drawn = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((cs) =>
    (cs as HTMLCanvasElement[]).map((c) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) return true;
      return false;
    }),
  );

/** A picture of stripes drawn here, not by the page's generator: diagonal bands in two colours, as a PNG. */
async function stripesPng(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const c = new OffscreenCanvas(300, 260);
    const g = c.getContext('2d')!;
    g.fillStyle = '#f2d7a0';
    g.fillRect(0, 0, 300, 260);
    g.strokeStyle = '#2a4f8f';
    g.lineWidth = 11;
    for (let k = -300; k < 600; k += 26) {
      g.beginPath();
      g.moveTo(k, 0);
      g.lineTo(k + 260, 260);
      g.stroke();
    }
    return Array.from(new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer()));
  });
}

/** The saved model's sigmoid output in tfjs-layers (CPU) for one RGBA picture. */
async function tfjsPredict(modelJson: { modelTopology: object; weightsManifest: { weights: object[] }[] }, weights: Buffer, rgba: Uint8ClampedArray): Promise<number> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights as never, weightData }));
  const y = tf.tidy(() => (model.predict(tf.tensor4d(toInput(rgba), [1, SIZE, SIZE, 3])) as import('@tensorflow/tfjs').Tensor).dataSync()[0]);
  model.dispose();
  return y;
}

test('loads the pretrained base cut at out_relu and draws the built-in pictures` pooled features', async ({ page }, testInfo) => {
  test.setTimeout(600_000);
  const errors = await openPage(page, '/transfer.html');
  let s = await state(page);
  expect(s.backend).toBe('gpu');
  expect(s.base).toMatchObject({ cutAt: 'out_relu', outputShape: [7, 7, 1280] });
  await expect(page.locator('body')).toHaveAttribute('data-phase', 'ready');
  await expect(page.locator('#base-info')).toContainText('out_relu');
  await expect(page.locator('#train')).toBeDisabled();

  await act(page, () => page.click('#builtin'));
  s = await state(page);
  expect(s.classes.map((c) => c.name)).toEqual(['stripes', 'spots']);
  for (const c of s.classes) expect(c).toMatchObject({ pictures: 12, training: 8, heldOut: 4, withFeatures: 12 });
  console.log(`features: ${s.featureMsPerPicture!.toFixed(0)} ms a picture; class means ${s.separation!.between.toFixed(2)} apart, pictures ${s.separation!.within.toFixed(2)} from their own class's mean`);
  // Every picture with its 32 x 40 feature grid, each with content; the two kinds' means differ.
  await expect(page.locator('#classes canvas.features')).toHaveCount(24);
  const grid = await page.locator('#classes canvas.features').first().evaluate((c: HTMLCanvasElement) => [c.height, c.width]);
  expect(grid).toEqual([32, 40]);
  expect((await drawn(page, '#classes canvas.features')).every(Boolean)).toBe(true);
  await expect(page.locator('#class-means canvas')).toHaveCount(3);
  expect(s.separation!.between).toBeGreaterThan(0.5 * s.separation!.within);
  await expect(page.locator('#train')).toBeEnabled();
  await page.screenshot({ path: testInfo.outputPath('transfer-features.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('trains the head on the built-in set to at least 90% on its held-out pictures, then classifies a dropped picture', async ({ page }, testInfo) => {
  test.setTimeout(900_000);
  const errors = await openPage(page, '/transfer.html');
  await act(page, () => page.click('#builtin'));
  await page.fill('#epochs', '10');
  await act(page, () => page.click('#train'));
  const s = await state(page);
  await expect(page.locator('body')).toHaveAttribute('data-phase', 'trained');
  const t = s.training!;
  console.log(`trained: ${t.steps} batches in ${(t.ms! / 1000).toFixed(1)} s; losses ${t.history.loss.map((l) => l.toFixed(3)).join(', ')}; held out ${t.heldOut!.correct}/${t.heldOut!.total}; fit ran ${t.cachedLayers?.length} frozen layers once per picture`);
  expect(t.done).toBe(true);
  expect(t.trainPictures).toBe(16);
  expect(t.heldOutPictures).toBe(8);
  expect(t.epochsDone).toBe(10);
  expect(t.steps).toBe(t.totalSteps);
  expect(t.totalSteps).toBe(20);
  expect(t.history.loss).toHaveLength(10);
  expect(t.history.loss.at(-1)!).toBeLessThan(t.history.loss[0]);
  expect(t.history.val_accuracy).toHaveLength(10);
  expect(t.heldOut!.total).toBe(8);
  expect(t.heldOut!.accuracy).toBeGreaterThanOrEqual(0.9);
  // fit's own held-out accuracy at the last epoch agrees with the page's predictions.
  expect(t.history.val_accuracy.at(-1)!).toBeCloseTo(t.heldOut!.accuracy, 5);
  // The progress bar is full, and the chart has a point per batch (loss and accuracy) and per epoch.
  expect(await page.locator('#progress').evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([20, 20]);
  expect(t.chartPoints).toEqual([20, 20, 10, 10]);
  await expect(page.locator('.picture.right')).toHaveCount(t.heldOut!.correct);
  await expect(page.locator('#save')).toBeEnabled();
  await page.screenshot({ path: testInfo.outputPath('transfer-trained.png'), fullPage: true });

  // A new built-in picture the set never had.
  await act(page, () => page.click('#predict-spots'));
  let p = (await state(page)).prediction!;
  expect(p.source).toMatch(/new built-in spots/);
  expect(p.className).toBe('spots');

  // The Save button downloads the trained model in the TF.js Layers format; tfjs-layers loads it
  // and gives the page's probability for the same picture.
  const seed = Number(/(\d+)$/.exec(p.source)![1]);
  const downloads: Download[] = [];
  page.on('download', (d) => downloads.push(d));
  await act(page, () => page.click('#save'));
  await expect.poll(() => downloads.length).toBe(2);
  const files = Object.fromEntries(await Promise.all(downloads.map(async (d) => [d.suggestedFilename(), await readFile((await d.path())!)] as const)));
  expect(Object.keys(files).sort()).toEqual(['condense-transfer.json', 'condense-transfer.weights.bin']);
  const tfjsP = await tfjsPredict(JSON.parse(files['condense-transfer.json'].toString('utf8')), files['condense-transfer.weights.bin'], examplePicture('spots', seed));
  console.log(`saved model in tfjs-layers: P(spots) ${tfjsP.toFixed(6)}, the page ${p.probabilities[1].toFixed(6)}`);
  expect(Math.abs(tfjsP - p.probabilities[1])).toBeLessThan(1e-3);
  await expect(page.locator('#save-note')).toContainText('condense-transfer.json');

  // A picture drawn by this test, dropped on the page as a person would.
  const png = await stripesPng(page);
  await act(page, () =>
    page.evaluate((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'dropped-stripes.png', { type: 'image/png' }));
      document.getElementById('predict-drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, png),
  );
  p = (await state(page)).prediction!;
  console.log(`dropped picture: ${p.className} (${p.probabilities.map((q) => q.toFixed(3)).join(', ')})`);
  expect(p.source).toBe('dropped-stripes.png');
  expect(p.probabilities).toHaveLength(2);
  expect(p.probabilities[0] + p.probabilities[1]).toBeCloseTo(1, 5);
  expect(p.className).toBe('stripes');
  await expect(page.locator('#predicted')).toContainText('stripes');
  expect((await drawn(page, '#predict-pictures canvas')).every(Boolean)).toBe(true);
  expect(errors).toEqual([]);
});

test('without WebGPU (?cpu) the page says it cannot train, and why', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/transfer.html?cpu');
  await page.waitForFunction(() => document.body.dataset.busy === '0');
  await expect(page.locator('#no-webgpu-banner')).toBeVisible();
  await expect(page.locator('body')).toHaveAttribute('data-phase', 'no-gpu');
  await expect(page.locator('body')).toHaveAttribute('data-error', /Training runs on the GPU/);
  await expect(page.locator('#train')).toBeDisabled();
  expect(errors).toEqual([]);
});

test('a class of the user`s own pictures (file picker and a drop on its card) makes three classes, trained with softmax', async ({ page }) => {
  test.setTimeout(900_000);
  const errors = await openPage(page, '/transfer.html');
  await act(page, () => page.click('#builtin'));
  await page.click('#add-class');
  const card = page.locator('.class-card[data-class="2"]');
  await card.locator('.class-name').fill('checks');
  await card.locator('.class-name').dispatchEvent('change');
  // Checkerboards drawn here, four sizes: three through the picker, one dropped on the card.
  const pngs = await page.evaluate(async () => {
    const out: number[][] = [];
    for (const cell of [14, 20, 28, 36]) {
      const c = new OffscreenCanvas(240, 240);
      const g = c.getContext('2d')!;
      for (let y = 0; y < 240; y += cell) for (let x = 0; x < 240; x += cell) {
        g.fillStyle = ((x + y) / cell) % 2 ? '#202020' : '#e8e0c8';
        g.fillRect(x, y, cell, cell);
      }
      out.push(Array.from(new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer())));
    }
    return out;
  });
  await act(page, () => card.locator('input.class-files').setInputFiles(pngs.slice(0, 3).map((b, i) => ({ name: `checks-${i}.png`, mimeType: 'image/png', buffer: Buffer.from(b) }))));
  await act(page, () =>
    card.evaluate((el, bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'checks-dropped.png', { type: 'image/png' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, pngs[3]),
  );
  let s = await state(page);
  expect(s.classes[2]).toMatchObject({ name: 'checks', pictures: 4, training: 4, heldOut: 0, withFeatures: 4 });
  // A drop on a card is that class's picture, not a prediction.
  expect(s.prediction).toBeUndefined();
  await page.fill('#epochs', '3');
  await act(page, () => page.click('#train'));
  s = await state(page);
  expect(s.training).toMatchObject({ classes: 3, trainPictures: 20, heldOutPictures: 8, epochsDone: 3, done: true });
  for (const l of s.training!.history.loss) expect(Number.isFinite(l)).toBe(true);
  await act(page, () => page.click('#predict-stripes'));
  s = await state(page);
  expect(s.prediction!.probabilities).toHaveLength(3);
  expect(s.prediction!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  await expect(page.locator('#predict-result .probs .value')).toHaveCount(3);

  // Training again replaces the model (the base it shares stays loaded), and predicts as before.
  await page.fill('#epochs', '1');
  await act(page, () => page.click('#train'));
  expect((await state(page)).training).toMatchObject({ classes: 3, epochsDone: 1, done: true });
  await act(page, () => page.click('#predict-spots'));
  expect((await state(page)).prediction!.probabilities).toHaveLength(3);
  expect(errors).toEqual([]);
});

test('without the base fetched, the page says which command fetches it', async ({ page }) => {
  await page.route('**/transfer-base/model.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto('/transfer.html');
  await page.waitForFunction(() => document.body.dataset.busy === '0');
  await expect(page.locator('body')).toHaveAttribute('data-phase', 'no-base');
  await expect(page.locator('#base-info')).toContainText('node scripts/prepare-transfer-base.mjs');
  await expect(page.locator('#builtin')).toBeDisabled();
  await expect(page.locator('#train')).toBeDisabled();
});

test('a camera frame becomes a picture of the class that opened it', async ({ page }) => {
  test.setTimeout(300_000);
  // The camera: a canvas stream of a moving pattern stands in for getUserMedia (headless Chromium has no camera).
  await page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = async () => {
      const c = document.createElement('canvas');
      c.width = 320;
      c.height = 240;
      const g = c.getContext('2d')!;
      let t = 0;
      const draw = () => {
        g.fillStyle = '#3a6';
        g.fillRect(0, 0, 320, 240);
        g.fillStyle = '#fd4';
        for (let x = (t++ % 40) - 40; x < 320; x += 40) g.fillRect(x, 0, 18, 240);
      };
      draw();
      setInterval(draw, 50);
      return c.captureStream(20);
    };
  });
  const errors = await openPage(page, '/transfer.html');
  await act(page, () => page.locator('.class-card[data-class="1"] .class-camera').click());
  await expect(page.locator('#camera-box')).toBeVisible();
  await expect(page.locator('#camera-note')).toContainText('class B');
  await page.waitForFunction(() => (document.getElementById('camera-video') as HTMLVideoElement).videoWidth > 0);
  await act(page, () => page.click('#camera-capture'));
  const s = await state(page);
  expect(s.classes[1]).toMatchObject({ pictures: 1, withFeatures: 1 });
  await expect(page.locator('.class-card[data-class="1"] .picture .source')).toHaveText('camera');
  expect((await drawn(page, '.class-card[data-class="1"] canvas')).every(Boolean)).toBe(true);
  await page.click('#camera-close');
  await expect(page.locator('#camera-box')).toBeHidden();
  expect(errors).toEqual([]);
});
