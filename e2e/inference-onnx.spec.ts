import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { openPage, renderedAfter } from './helpers/page.js';

// The inference page with a dropped model: the digits model's ONNX twin (models/digits/digits.onnx)
// through the file picker and through a drop, giving the Layers model's prediction and
// probabilities; a model with another input is refused with a message.

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

test('a model whose input is not one 28x28 gray image is refused with a message', async ({ page }) => {
  const errors: string[] = [];
  await openPage(page, '/inference.html', errors);
  // Built in the page with the library's own encoder: Relu over [1, 3, 8, 8].
  await page.evaluate(async () => {
    const { buildOnnxModel } = await import('/src/index.ts' as string);
    const bytes = buildOnnxModel({ inputs: [{ name: 'x', shape: [1, 3, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] });
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'rgb.onnx'));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect(page.locator('body')).toHaveAttribute('data-error', /this page feeds one 28x28 grayscale image, \[1,1,28,28\] in NCHW; the model's input is x \[1,3,8,8\]/);
  expect(errors).toEqual([]);
});
