import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { ENGINE_COLUMNS } from '../bench/model-table.js';
import { COLUMNS } from '../bench/table.js';

const CASE_IDS = ['maxpool2', 'maxpool3', 'avgpool2', 'gap', 'gmp', 'maxpool2-nchw', 'avgpool2-nchw', 'gap-nchw', 'conv3x3', 'lesson'];

test('the profile page runs the small preset beside tfjs-webgpu and exports its results', async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/profile.html?preset=small');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await expect(page.locator('#adapter')).toContainText('timestamp-query');
  await expect(page.locator('#adapter')).not.toContainText('unavailable'); // tfjs-webgpu started
  await expect(page.locator('#cases tbody tr')).toHaveCount(CASE_IDS.length);

  await page.click('#run');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(page.locator('#status')).toHaveText('done; every output matches');
  await expect(page.locator('#progress')).toHaveJSProperty('value', await page.locator('#progress').evaluate((p: HTMLProgressElement) => p.max));

  const rows = await page.locator('#results tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
  expect(rows.map((r) => r[0])).toEqual(CASE_IDS);
  for (const row of rows) {
    COLUMNS.forEach((col, i) => {
      if (!col.numeric) return;
      const v = Number(row[i].replace(/x$/, ''));
      expect(Number.isFinite(v) && v > 0, `${row[0]} ${col.header}: '${row[i]}'`).toBe(true);
    });
    expect(row[COLUMNS.findIndex((c) => c.header.startsWith('match'))], `${row[0]} outputs vs tfjs/CPU`).toBe('ok/ok');
  }
  for (const id of ['chart-time', 'chart-ceiling']) {
    const box = await page.locator(`#${id}`).boundingBox();
    expect(box && box.width > 100 && box.height > 100, id).toBe(true);
  }
  await page.screenshot({ path: testInfo.outputPath('profile.png'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const report = JSON.parse(await readFile((await download.path())!, 'utf8'));
  expect(report.schema).toBe('condense-bench/1');
  expect(report.settings.preset).toBe('small');
  expect(report.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  expect(report.environment).toMatchObject({ tfjsCore: '4.22.0', tfjsBackendWebgpu: '4.22.0' });
  expect(report.environment.condense).toMatch(/^\d+\.\d+\.\d+/);
  expect(report.cases.map((c: { id: string }) => c.id)).toEqual(CASE_IDS);
  for (const c of report.cases) expect(c.match).toMatchObject({ tfjs: { ok: true }, cpu: { ok: true } });
  expect(errors).toEqual([]);
});

test('the profile page runs the small model preset on every engine, outputs matching Condense', async ({ page }) => {
  test.setTimeout(300_000); // onnxruntime-web compiles 25 MB of wasm, and SwiftShader every pipeline
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/profile.html?preset=small');
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
  await page.click('#run-models');
  await expect(page.locator('body')).toHaveAttribute('data-models', /done|error/, { timeout: 280_000 });
  await expect(page.locator('#status')).toHaveText('models done; every output matches');
  const read = (id: string) => page.locator(`#${id} tbody tr`).evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
  const heads = await page.locator('#model-engines thead th').allTextContents();
  expect(heads).toEqual(ENGINE_COLUMNS.map((c) => c.header));
  const rows = await read('model-engines');
  expect(rows.map((r) => `${r[0]}/${r[1]}`)).toEqual(['digits/condense', 'digits/tfjs-webgpu', 'digits-onnx/condense', 'digits-onnx/ort-webgpu', 'digits-onnx/ort-wasm']);
  for (const row of rows) {
    ENGINE_COLUMNS.forEach((col, i) => {
      if (!col.numeric || row[i] === '-' || row[i] === 'n/a') return;
      expect(Number(row[i]) > 0, `${row[0]}/${row[1]} ${col.header}: '${row[i]}'`).toBe(true);
    });
    // Condense has every figure of its own; the peers' outputs are checked against Condense's.
    if (row[1] === 'condense') for (const h of ['load ms', 'cold ms', 'warm ms', 'dispatches', 'pipelines', 'peak MiB']) expect(Number(row[heads.indexOf(h)]), h).toBeGreaterThan(0);
    else expect(row[heads.indexOf('match')]).toMatch(/^ok /);
  }
  const ratios = await read('model-ratios');
  expect(ratios.map((r) => r.slice(0, 2))).toEqual([['digits', 'tfjs-webgpu'], ['digits-onnx', 'ort-webgpu']]);
  for (const r of ratios) expect(r[2]).toMatch(/^[\d.]+x$/);
  const report = await page.evaluate(() => window.condenseModelBench!);
  expect(report.schema).toBe('condense-model-bench/1');
  expect(report.environment.onnxruntimeWeb).toMatch(/^1\./);
  expect(errors).toEqual([]);
});
