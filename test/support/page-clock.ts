import type { Page } from '@playwright/test';

// Deadlines between tabs, timed on the pages' own clock (one machine, one clock for every tab), so
// the test runner's round trips to the browser (~0.1 s each over BiDi) are not counted.

/** Records, in the page, when its client first reports `anonymous`; read it with anonymousAt(). */
export function recordWhenAnonymous(page: Page): Promise<void> {
  return page.evaluate(() => {
    (window as any).client.subscribe((s: { status: string }) => s.status === 'anonymous' && ((window as any).anonymousAt ??= Date.now()));
  });
}

/** The page's clock (epoch ms) when its client first reported `anonymous` after recordWhenAnonymous(). */
export function anonymousAt(page: Page): Promise<number | undefined> {
  return page.evaluate(() => (window as any).anonymousAt);
}
