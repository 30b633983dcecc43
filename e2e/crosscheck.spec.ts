import { expect, test } from '@playwright/test';

// The grid's size is fixed by pages/crosscheck/cases.ts; a change there must be a deliberate
// change here too, so a grid that silently shrinks fails.
const EXPECTED_CASES = 70;
const OPS = ['conv2d', 'relu', 'maxPool2d', 'avgPool2d', 'pool', 'globalAvgPool2d', 'globalMaxPool2d'];

test('every op agrees with the CPU reference over the seeded grid, on the GPU', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/crosscheck.html');
  await expect(page.locator('body')).toHaveAttribute('data-done', '1');

  const report = await page.evaluate(() => {
    const r = window.condenseCrosscheck!;
    return {
      backend: r.backend,
      adapter: r.adapter,
      total: r.total,
      passed: r.passed,
      ops: [...new Set(r.results.map((x) => x.op))],
      failures: r.results.filter((x) => !x.pass).map((x) => `#${x.id} ${x.op}: ${x.error ?? `${x.comparison?.mismatches} differ, max ${x.comparison?.maxAbsDiff}`}`),
      compared: r.results.filter((x) => x.comparison !== undefined).length,
    };
  });
  expect(report.backend, 'the cross-check must run on WebGPU').toBe('gpu');
  expect(report.adapter).not.toBe('');
  expect(report.failures).toEqual([]);
  expect(report.total).toBe(EXPECTED_CASES);
  expect(report.passed).toBe(EXPECTED_CASES);
  expect(report.compared).toBe(EXPECTED_CASES);
  expect(report.ops.sort()).toEqual([...OPS].sort());
  expect(errors).toEqual([]);

  // The same facts as a person reads them.
  const summary = page.locator('#summary');
  await expect(summary).toHaveText(new RegExp(`^${EXPECTED_CASES} / ${EXPECTED_CASES} cases passed, 0 failed`));
  await expect(summary).toHaveAttribute('data-total', String(EXPECTED_CASES));
  await expect(page.locator('#results tbody tr')).toHaveCount(EXPECTED_CASES);
  await expect(page.locator('#results tbody tr[data-pass="true"]')).toHaveCount(EXPECTED_CASES);
  await expect(page.locator('#results tbody td.max-error').first()).toHaveText(/^(0|\d\.\d\de[-+]\d+)$/);
});

test('without WebGPU the cross-check says so and still runs the reference', async ({ page }) => {
  await page.addInitScript(() => {
    delete (Navigator.prototype as { gpu?: unknown }).gpu;
  });
  await page.goto('/crosscheck.html');
  await expect(page.locator('body')).toHaveAttribute('data-done', '1');
  await expect(page.locator('#no-webgpu-banner')).toContainText('No WebGPU');
  await expect(page.locator('#summary')).toHaveAttribute('data-backend', 'cpu');
  await expect(page.locator('#results tbody tr')).toHaveCount(EXPECTED_CASES);
});
