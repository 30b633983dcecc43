import { expect, type Page } from '@playwright/test';

// The pages count their renders in body[data-runs] and say body[data-busy] = 0 when idle and
// body[data-error] when a run failed; these wait on that.

export function runs(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset.runs));
}

/** Waits until the page has rendered more than `before` times and is idle, with no error shown. */
export async function renderedAfter(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.runs) > n && document.body.dataset.busy === '0', before);
  await expect(page.locator('body')).not.toHaveAttribute('data-error', /./);
}

/** Opens `url` and waits for its first complete render; returns the page errors (still collecting). */
export async function openPage(page: Page, url: string, errors: string[] = []): Promise<string[]> {
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await renderedAfter(page, 0);
  return errors;
}

/** Does `action` and waits until the page has re-rendered after it. */
export async function change(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = await runs(page);
  await action();
  await renderedAfter(page, before);
}
