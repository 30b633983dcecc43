// The profile page's Training section: bench/training.ts in the browser, Condense's fit beside
// tfjs-layers' fit on tfjs-webgpu and tfjs-cpu. The head case only (the digit CNN's epoch takes
// minutes on SwiftShader; `npm run bench -- --training` runs all of them).
import { expect, test } from '@playwright/test';

test('the profile page trains a head on cached features on all three engines and shows steps per second', async ({ page }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/profile.html?preset=small&training=head-sigmoid&autorun=training');
  await expect(page.locator('#training')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('body')).toHaveAttribute('data-training', 'done', { timeout: 280_000 });
  const rows = await page.locator('#training-table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
  expect(rows.map((r) => r[0])).toEqual(['head-sigmoid']);
  const headers = await page.locator('#training-table thead th').allTextContents();
  const cell = (header: string) => rows[0][headers.findIndex((h) => h.startsWith(header))];
  for (const engine of ['Condense', 'tfjs-webgpu', 'tfjs-cpu']) {
    const steps = Number(cell(`${engine} steps/s`).split(' ')[0]);
    expect(Number.isFinite(steps) && steps > 0, `${engine}: '${cell(`${engine} steps/s`)}'`).toBe(true);
  }
  expect(cell('vs tfjs-webgpu')).toMatch(/^\d+\.\d\dx$/);
  expect(cell('target')).toMatch(/^(met|not met)$/);
  const report = await page.evaluate(() => window.condenseTrainingBench!);
  expect(report.cases[0].engines.map((e) => e.engine)).toEqual(['condense', 'tfjs-webgpu', 'tfjs-cpu']);
  // The same problem on every engine: one epoch of Adam moves each below log(2) (from a 0.5 guess).
  for (const e of report.cases[0].engines) expect(e.loss, e.engine).toBeLessThan(Math.log(2) * 1.5);
  expect(errors).toEqual([]);
});
