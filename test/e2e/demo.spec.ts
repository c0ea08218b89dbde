import { expect, test } from './fixtures.js';

for (const [label, path] of [['npm build', '/demo/'], ['CDN build', '/demo/cdn.html']] as const) {
  test(`the demo (${label}) signs in, shows the user and a token, and signs out`, async ({ page, stack }) => {
    await page.goto(stack.app.origin + path);
    await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
    await page.click('text=Sign in');
    await page.fill('input[name=login]', 'grace.hopper');
    await page.click('button.primary');
    await expect(page.locator('.status')).toHaveAttribute('data-status', 'authenticated');
    await expect(page.locator('dl')).toContainText('Grace Hopper');
    await expect(page.locator('dl')).toContainText('grace.hopper@example.com');
    expect(new URL(page.url()).search).toBe('');

    await page.click('text=Get access token');
    await expect(page.locator('code.token')).toContainText('(current');
    await page.click('text=Force refresh');
    await expect(page.locator('code.token')).toContainText('new (refreshed)');
    await expect(page.locator('ol.log')).toContainText('new access token');

    await page.click('text=Sign out');
    await page.click('button[name=logout]');
    await expect(page.locator('.status')).toHaveAttribute('data-status', 'anonymous');
    await expect(page.locator('ol.log')).toContainText('anonymous');
  });
}
