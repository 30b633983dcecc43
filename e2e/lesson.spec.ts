import { expect, test, type Page } from '@playwright/test';
import { change, openPage } from './helpers/page.js';

// The lesson page on the GPU, checked through what it draws and through window.condenseLesson,
// the numbers behind the drawings.

const STAGES = ['input', 'filter', 'detect', 'condense', 'dots-before', 'dots-after', 'gap-0'];

/** Waits for the first complete render, with no page error. */
async function open(page: Page, url = '/lesson.html'): Promise<void> {
  expect(await openPage(page, url)).toEqual([]);
}

/** Distinct colours on a canvas: a blank (or flat) canvas has one. */
function colours(page: Page, id: string): Promise<{ width: number; height: number; distinct: number }> {
  return page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]);
    return { width: c.width, height: c.height, distinct: seen.size };
  }, id);
}

async function setPool(page: Page, window: number, stride: number, padding: 'same' | 'valid', repeats: number): Promise<void> {
  await change(page, async () => {
    await page.fill('#pool-window', String(window));
    await page.fill('#pool-stride', String(stride));
    await page.selectOption('#pool-padding', padding);
    await page.fill('#repeats', String(repeats));
  });
}

test('the start page links the lesson and the cross-check', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#link-lesson')).toHaveAttribute('href', '/lesson.html');
  await expect(page.locator('#link-crosscheck')).toHaveAttribute('href', '/crosscheck.html');
  await page.click('#link-lesson');
  await expect(page).toHaveURL(/\/lesson\.html$/);
  await expect(page.locator('h1')).toHaveText('Filter → Detect → Condense');
});

test('every stage is drawn, agrees with the CPU reference, and shows adapter and timings', async ({ page }, testInfo) => {
  await open(page);
  await expect(page.locator('body')).toHaveAttribute('data-backend', 'gpu');
  await expect(page.locator('#no-webgpu-banner')).toHaveCount(0);
  await expect(page.locator('#status')).toHaveText(/^GPU: .+ · last update \d/);
  for (const id of STAGES) {
    const c = await colours(page, `canvas-${id}`);
    expect(c.distinct, `canvas-${id} is blank`).toBeGreaterThan(1);
  }
  for (const stage of ['filter', 'detect', 'condense', 'dots-after']) {
    const fig = page.locator(`#panel-${stage}`);
    await expect(fig).toHaveAttribute('data-agrees', 'true');
    // The warm time, and where this call compiled pipelines, the first call apart.
    await expect(fig).toContainText(/GPU \d+(\.\d+)? ms( \(first call \d+(\.\d+)? ms, compiling\))? · CPU \d+(\.\d+)? ms · max \|GPU−CPU\| \S+ ✓/);
    const diff = Number(await fig.getAttribute('data-max-diff'));
    expect(diff).toBeLessThan(1e-4);
  }
  await expect(page.locator('#panel-filter')).toContainText('[1, 128, 128, 1]');
  // The page's first render compiled the convolution: its first call is shown apart from the warm time.
  await expect(page.locator('#panel-filter')).toContainText(/GPU \d+(\.\d+)? ms \(first call \d+(\.\d+)? ms, compiling\)/);
  for (const attr of ['data-first-ms', 'data-gpu-ms']) expect(Number(await page.locator('#panel-filter').getAttribute(attr)), attr).toBeGreaterThan(0);
  await expect(page.locator('#gap .gap-cell')).toHaveCount(8);
  await expect(page.locator('#gap-check')).toHaveAttribute('data-agrees', 'true');
  await expect(page.locator('#gap-check')).toContainText(/pooling GPU \d+(\.\d+)? ms( \(first call \d+(\.\d+)? ms, compiling\))?/);

  const shot = testInfo.outputPath('lesson-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('lesson page', { path: shot, contentType: 'image/png' });
});

test('the edge kernel responds strongly on the edges of the built-in image and not at all in flat regions', async ({ page }) => {
  await open(page);
  await expect(page.locator('#kernel')).toHaveValue('edge');
  await expect(page.locator('#source')).toHaveValue('builtin');
  const r = await page.evaluate(() => {
    const L = window.condenseLesson!;
    const x = L.input!.data;
    const f = L.chain!.filter.data;
    const n = L.input!.width;
    let flat = 0;
    let flatMax = 0;
    let edges = 0;
    let strongEdges = 0;
    let edgeMax = 0;
    // The border is left out: 'same' zero padding makes an edge of the image frame itself.
    for (let y = 1; y < n - 1; y++) {
      for (let xx = 1; xx < n - 1; xx++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const v = x[(y + dy) * n + xx + dx];
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
        const resp = Math.abs(f[y * n + xx]);
        if (hi === lo) {
          flat++;
          flatMax = Math.max(flatMax, resp);
        } else if (hi - lo >= 0.2) {
          edges++;
          edgeMax = Math.max(edgeMax, resp);
          if (resp >= 0.1) strongEdges++;
        }
      }
    }
    return { flat, flatMax, edges, strongEdges, edgeMax };
  });
  expect(r.flat).toBeGreaterThan(10_000);
  expect(r.flatMax, 'flat regions must give no response').toBeLessThan(1e-5);
  expect(r.edges).toBeGreaterThan(500);
  expect(r.edgeMax).toBeGreaterThan(2);
  // Nearly every pixel next to a step responds; the few that do not sit where two steps cancel.
  expect(r.strongEdges / r.edges).toBeGreaterThan(0.95);
});

test('the condensed canvas has the size the window, stride and padding give', async ({ page }) => {
  await open(page);
  const size = 128;
  const out = (n: number, k: number, s: number, p: string): number => (p === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1);
  for (const [k, s, p, times] of [[2, 2, 'same', 1], [3, 2, 'valid', 1], [3, 3, 'same', 1], [3, 2, 'valid', 2]] as const) {
    await setPool(page, k, s, p, times);
    let n = size;
    for (let i = 0; i < times; i++) n = out(n, k, s, p);
    const c = await colours(page, 'canvas-condense');
    expect([c.width, c.height], `window ${k}, stride ${s}, '${p}', ${times}x`).toEqual([n, n]);
    expect(c.distinct).toBeGreaterThan(1);
    await expect(page.locator('#panel-condense')).toHaveAttribute('data-shape', JSON.stringify([1, n, n, 1]));
    await expect(page.locator('#panel-condense')).toContainText(`[1, ${n}, ${n}, 1]`);
    await expect(page.locator('#panel-condense')).toHaveAttribute('data-agrees', 'true');
  }
  // Pooling past the map's size is refused with the engine's message, and the other stages stay.
  await setPool(page, 8, 8, 'valid', 3);
  await expect(page.locator('#panel-condense')).toContainText("window height 8 (kernel 8, dilation 1) is larger than the input height 2 with 'valid' padding");
  await expect(page.locator('#panel-condense')).not.toHaveAttribute('data-shape', /./);
  await expect(page.locator('#panel-detect')).toHaveAttribute('data-agrees', 'true');
});

test('repeated pooling merges the two dots into one', async ({ page }) => {
  await open(page);
  const lit: number[] = [];
  for (const times of [1, 2, 3]) {
    await setPool(page, 2, 2, 'same', times);
    lit.push(Number(await page.locator('#panel-dots-after').getAttribute('data-lit')));
  }
  expect(lit).toEqual([2, 2, 1]);
  expect(await colours(page, 'canvas-dots-after')).toMatchObject({ width: 4, height: 4 });
  await expect(page.locator('#panel-dots-after')).toContainText('1 lit cell after 3 poolings');
});

test('uploading an image through the file input changes the panels', async ({ page }) => {
  await open(page);
  const snapshot = () =>
    page.evaluate(() => ['input', 'filter', 'detect', 'condense'].map((id) => (document.getElementById(`canvas-${id}`) as HTMLCanvasElement).toDataURL()));
  const before = await snapshot();
  // A picture unlike the built-in one: a bright diagonal band and a disc, drawn by the browser.
  const png = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 120;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#204060';
    ctx.fillRect(0, 0, 160, 120);
    ctx.strokeStyle = '#ffe080';
    ctx.lineWidth = 18;
    ctx.beginPath();
    ctx.moveTo(0, 120);
    ctx.lineTo(160, 0);
    ctx.stroke();
    ctx.fillStyle = '#ff4040';
    ctx.beginPath();
    ctx.arc(50, 40, 22, 0, Math.PI * 2);
    ctx.fill();
    return c.toDataURL('image/png').split(',')[1];
  });
  await change(page, () => page.setInputFiles('#file', { name: 'band.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') }));
  await expect(page.locator('#source')).toHaveValue('upload');
  await expect(page.locator('#input-error')).toHaveText('');
  const after = await snapshot();
  for (let i = 0; i < before.length; i++) expect(after[i], `panel ${i} did not change`).not.toBe(before[i]);
  await expect(page.locator('#panel-input')).toHaveAttribute('data-shape', '[1,128,128,1]');
  await expect(page.locator('#panel-filter')).toHaveAttribute('data-agrees', 'true');

  // Dropping a file on the image section works the same way.
  await change(page, () =>
    page.evaluate(async () => {
      const c = document.createElement('canvas');
      c.width = c.height = 64;
      const ctx = c.getContext('2d')!;
      ctx.fillStyle = '#fff';
      ctx.fillRect(16, 16, 32, 32);
      const blob = await new Promise<Blob>((resolve) => c.toBlob((b) => resolve(b!), 'image/png'));
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'square.png', { type: 'image/png' }));
      document.getElementById('input-section')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }),
  );
  await expect(page.locator('#source option:checked')).toHaveText('your image: square.png');
  expect((await snapshot())[0]).not.toBe(after[0]);

  // A file that is not an image is refused with a message, and the panels stay as they were.
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(page.locator('#input-error')).toContainText('not an image');
  await expect(page.locator('#source')).toHaveValue('upload');
});

test('without WebGPU the page shows the banner and still renders on the CPU reference', async ({ page }) => {
  // As in a browser that has no WebGPU at all: navigator.gpu does not exist.
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await open(page);
  await expect(page.locator('#no-webgpu-banner')).toBeVisible();
  await expect(page.locator('#no-webgpu-banner')).toContainText('navigator.gpu is missing');
  await expect(page.locator('body')).toHaveAttribute('data-backend', 'cpu');
  await expect(page.locator('#status')).toContainText('CPU reference');
  for (const id of STAGES) expect((await colours(page, `canvas-${id}`)).distinct, `canvas-${id} is blank`).toBeGreaterThan(1);
  await expect(page.locator('#panel-filter')).toContainText('CPU reference only');
  await expect(page.locator('#panel-condense')).toHaveAttribute('data-shape', '[1,64,64,1]');
  await setPool(page, 2, 2, 'same', 3);
  await expect(page.locator('#panel-dots-after')).toHaveAttribute('data-lit', '1');
});

test('the kernel picker offers the lesson kernels, and editing the grid makes a custom kernel', async ({ page }) => {
  await open(page);
  const options = await page.locator('#kernel option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
  expect(options).toEqual([
    ['edge', 'edge detect'], ['bottom-sobel', 'bottom Sobel'], ['left-sobel', 'left Sobel'],
    ['emboss', 'emboss'], ['sharpen', 'sharpen'], ['identity', 'identity'], ['custom', 'custom'],
  ]);
  const filterIsInput = () =>
    page.evaluate(() => {
      const L = window.condenseLesson!;
      return L.chain!.filter.data.every((v, i) => v === L.input!.data[i]);
    });
  await change(page, () => page.selectOption('#kernel', 'identity'));
  expect(await page.locator('#kernel-grid input').evaluateAll((cs) => cs.map((c) => Number((c as HTMLInputElement).value)))).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  expect(await filterIsInput()).toBe(true);
  // Doubling the centre weight is no longer a named kernel, and doubles the response.
  await change(page, () => page.locator('#kernel-grid input').nth(4).fill('2'));
  await expect(page.locator('#kernel')).toHaveValue('custom');
  expect(await filterIsInput()).toBe(false);
  const doubled = await page.evaluate(() => {
    const L = window.condenseLesson!;
    return L.chain!.filter.data.every((v, i) => v === 2 * L.input!.data[i]);
  });
  expect(doubled).toBe(true);
});

test('global average pooling shows one value per map, the mean of that map', async ({ page }) => {
  await open(page);
  for (const source of ['kernels', 'random']) {
    if (source === 'random') await change(page, () => page.selectOption('#gap-source', 'random'));
    const r = await page.evaluate(() => {
      const g = window.condenseLesson!.gap!;
      const [, h, w, c] = g.maps.shape;
      const means = Array.from({ length: c }, (_, k) => {
        let sum = 0;
        for (let i = 0; i < h * w; i++) sum += g.maps.data[i * c + k];
        return sum / (h * w);
      });
      const shown = Array.from(document.querySelectorAll('#gap .gap-value')).map((e) => Number((e as HTMLElement).dataset.value));
      return { shape: g.pooled.shape, means, shown, agrees: g.pooled.comparison?.ok };
    });
    expect(r.shape, source).toEqual([1, 8]);
    expect(r.agrees).toBe(true);
    r.shown.forEach((v, i) => expect(Math.abs(v - r.means[i]), `${source} map ${i}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(r.means[i]))));
    expect(new Set(r.shown.map((v) => v.toFixed(4))).size, 'the maps should differ').toBeGreaterThan(4);
    for (let i = 0; i < 8; i++) expect((await colours(page, `canvas-gap-${i}`)).distinct).toBeGreaterThan(1);
  }
});
