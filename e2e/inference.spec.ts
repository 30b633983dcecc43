import { expect, test, type Page } from '@playwright/test';
import { change, openPage } from './helpers/page.js';

// The inference page on the GPU: draw digits with the mouse, pick a held-out digit, and check the
// prediction, the probabilities, the per-layer timings and that every feature-map panel renders.

/** Waits for the first complete render, with no page error. */
async function open(page: Page, url = '/inference.html'): Promise<void> {
  expect(await openPage(page, url)).toEqual([]);
}

/** Draws a polyline (pad coordinates, 0..280) with the mouse as one stroke. */
async function stroke(page: Page, points: [number, number][]): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

async function draw(page: Page, strokes: [number, number][][]): Promise<void> {
  await page.click('#clear');
  for (const [i, s] of strokes.entries()) {
    if (i < strokes.length - 1) await stroke(page, s);
    else await change(page, () => stroke(page, s));
  }
}

const ellipse = (cx: number, cy: number, rx: number, ry: number, n = 28): [number, number][] =>
  Array.from({ length: n + 1 }, (_, i) => [cx + rx * Math.sin((2 * Math.PI * i) / n), cy - ry * Math.cos((2 * Math.PI * i) / n)]);

function debug(page: Page) {
  return page.evaluate(() => {
    const d = window.condenseInference!;
    return { backend: d.backend, prediction: d.prediction, probabilities: d.probabilities, sample: d.sample, source: d.source, layers: d.layers, totalMs: d.totalMs, layerSumMs: d.layerSumMs };
  });
}

/** Distinct colours per canvas of a layer panel: a blank or flat canvas has one. */
function panelColours(page: Page): Promise<{ layer: string; canvases: number; distinct: number[] }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('#maps .layer')).map((el) => {
      const panel = el as HTMLElement;
      const canvases = Array.from(panel.querySelectorAll('canvas'));
      return {
        layer: panel.dataset.layer!,
        canvases: canvases.length,
        distinct: canvases.map((c) => {
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          const seen = new Set<number>();
          for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          return seen.size;
        }),
      };
    }),
  );
}

test('the start page links the inference page', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#link-inference')).toHaveAttribute('href', '/inference.html');
});

test('draw digits, see the prediction, ten probabilities, per-layer timings and every feature map', async ({ page }, testInfo) => {
  await open(page);
  let d = await debug(page);
  expect(d.backend).toBe('gpu');
  // It starts on a held-out digit, predicted as tfjs predicts it.
  expect(d.source).toBe('sample');
  expect(d.prediction).toBe(d.sample!.tfjsPrediction);

  // A one: a single vertical stroke.
  await draw(page, [[[142, 40], [138, 240]]]);
  d = await debug(page);
  expect(d.source).toBe('drawing');
  expect(d.prediction).toBe(1);
  await expect(page.locator('#predicted')).toHaveText('1');
  expect(d.probabilities).toHaveLength(10);
  expect(Math.abs(d.probabilities!.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
  await expect(page.locator('#probabilities .value')).toHaveCount(10);

  // Per-layer timings: one row per layer, every one timed, plus the one-submit total.
  const layerNames = d.layers!.map((l) => l.name);
  await expect(page.locator('#timings tbody tr')).toHaveCount(layerNames.length);
  for (const l of d.layers!) expect(l.ms).toBeGreaterThan(0);
  expect(d.totalMs).toBeGreaterThan(0);
  await expect(page.locator('#timing-total')).toContainText('ms');

  // Feature maps: the input plus one panel per layer, every channel canvas drawn with real content.
  const panels = await panelColours(page);
  expect(panels.map((p) => p.layer)).toEqual(['input', ...layerNames]);
  for (const [i, p] of panels.entries()) {
    const shape = i === 0 ? [1, 28, 28, 1] : d.layers![i - 1].shape;
    expect(p.canvases, p.layer).toBe(shape.length === 4 ? shape[3] : 1);
    // Most channels of a real network respond to a digit somewhere; a blank panel would be one colour.
    const drawn = p.distinct.filter((n) => n > 1).length;
    expect(drawn, `${p.layer}: channels with content`).toBeGreaterThanOrEqual(Math.ceil(p.canvases / 2));
  }
  const stages = await page.locator('#maps .layer').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.stage));
  for (const s of ['filter', 'detect', 'condense', 'classify']) expect(stages).toContain(s);

  // A zero: one closed loop.
  await draw(page, [ellipse(140, 140, 62, 95)]);
  expect((await debug(page)).prediction).toBe(0);
  await expect(page.locator('#predicted')).toHaveText('0');

  // A seven: a bar and a diagonal, as one stroke.
  await draw(page, [[[70, 50], [210, 50], [120, 240]]]);
  expect((await debug(page)).prediction).toBe(7);

  // A held-out digit from the picker.
  await change(page, () => page.selectOption('#sample', { index: 20 }));
  d = await debug(page);
  expect(d.source).toBe('sample');
  expect(d.prediction).toBe(d.sample!.tfjsPrediction);

  await page.screenshot({ path: testInfo.outputPath('inference.png'), fullPage: true });
  const timings = (await debug(page)).layers!.map((l) => `${l.name} ${l.ms!.toFixed(2)} ms`).join(', ');
  testInfo.annotations.push({ type: 'timings', description: `one submit ${d.totalMs!.toFixed(2)} ms; per layer: ${timings}` });
  console.log(`inference page timings: one submit ${d.totalMs!.toFixed(2)} ms; layer by layer ${d.layerSumMs!.toFixed(2)} ms: ${timings}`);
});

test('without WebGPU (?cpu) the CPU reference gives the same prediction', async ({ page }) => {
  await open(page, '/inference.html?cpu');
  const d = await debug(page);
  expect(d.backend).toBe('cpu');
  expect(d.prediction).toBe(d.sample!.tfjsPrediction);
  await expect(page.locator('#no-webgpu-banner')).toBeVisible();
  await draw(page, [[[142, 40], [138, 240]]]);
  expect((await debug(page)).prediction).toBe(1);
});
