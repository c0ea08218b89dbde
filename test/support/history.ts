import type { Page } from '@playwright/test';

/**
 * Goes one entry back in the page's history and waits until the previous document is showing and
 * `readyFlag` is set on it. Not page.goBack(): over WebDriver BiDi, Firefox never reports the
 * navigation done when the page comes back from the back-forward cache (it fires no load event), so
 * goBack() hangs. A mark on the window that is leaving tells the two documents apart.
 */
export async function goBack(page: Page, readyFlag: string): Promise<void> {
  await page.evaluate(() => {
    (window as any).__leftByGoBack = true;
    history.back();
  });
  await page.waitForFunction((flag) => !(window as any).__leftByGoBack && (window as any)[flag] === true, readyFlag);
}
