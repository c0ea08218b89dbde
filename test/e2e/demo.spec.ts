import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { addressBar } from '../support/page-checks.js';

/**
 * Records, in the page, the lifetime card's text at the moment the status changes: a MutationObserver
 * sees the DOM as the status render left it, before any later timer tick.
 */
async function recordFirstRenders(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: Array<{ status: string; lifetime: string }> = [];
    (window as any).renders = seen;
    new MutationObserver(() => {
      const status = document.querySelector('.status') as HTMLElement | null;
      const lifetime = document.querySelector('.big');
      if (status && lifetime && seen.at(-1)?.status !== status.dataset.status) seen.push({ status: status.dataset.status ?? '', lifetime: lifetime.textContent ?? '' });
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
  });
}

for (const [label, path] of [['npm build', '/demo/'], ['CDN build', '/demo/cdn.html']] as const) {
  test(`the demo (${label}) signs in, shows the user and a token, and signs out`, async ({ page, stack }) => {
    await recordFirstRenders(page);
    await page.goto(stack.app.origin + path);
    await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
    await page.click('text=Sign in');
    await page.fill('input[name=login]', 'grace.hopper');
    await page.click('button.primary');
    await expect(page.locator('.status')).toHaveAttribute('data-status', 'authenticated');
    // The first render that says "authenticated" already shows the token's lifetime.
    const first = (await page.evaluate(() => (window as any).renders)).find((r: { status: string }) => r.status === 'authenticated');
    expect(first?.lifetime).toMatch(/^\d+ s$/);
    await expect(page.locator('section h2').nth(1)).toHaveText('Access token lifetime');
    await expect(page.locator('dl')).toContainText('Grace Hopper');
    await expect(page.locator('dl')).toContainText('grace.hopper@example.com');
    expect((await addressBar(page)).search).toBe('');

    await page.click('text=Get access token');
    await expect(page.locator('code.token')).toContainText('(current');
    await page.click('text=Force refresh');
    await expect(page.locator('code.token')).toContainText('new (refreshed)');
    await expect(page.locator('ol.log')).toContainText('new access token');
    // Renewed outside the button (as a background refresh would): new, but not this click's doing.
    await page.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }));
    await page.click('text=Get access token');
    await expect(page.locator('code.token')).toContainText('new (renewed since');

    await page.click('text=Sign out');
    await page.click('button[name=logout]');
    await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
    await expect(page.locator('ol.log')).toContainText('anonymous');
    // Back from the provider with its `state`: recognised as the logout return, no error, clean URL.
    await expect(page.locator('ol.log')).toContainText('back from the provider: signed out');
    await expect(page.locator('ol.log .error')).toHaveCount(0);
    await expect.poll(async () => (await addressBar(page)).search).toBe('');
    // A long event log scrolls inside its card rather than being clipped or stretching the page.
    await page.evaluate(() => {
      const log = document.querySelector('ol.log') as HTMLElement;
      for (let i = 0; i < 40; i++) log.append(log.firstElementChild!.cloneNode(true));
    });
    const box = await page.locator('ol.log').evaluate((log) => ({ overflow: getComputedStyle(log).overflowY, scrolls: log.scrollHeight > log.clientHeight, height: log.clientHeight }));
    expect(box).toMatchObject({ overflow: 'auto', scrolls: true });
    expect(box.height).toBeLessThanOrEqual(260);
  });
}

test("the session-server demo labels its lifetime as the server session's", async ({ page, stack }) => {
  await page.goto(`${stack.app.origin}/demo/session-server.html`);
  await expect(page.locator('section h2').nth(1)).toHaveText('Session lifetime (on the server)');
});
