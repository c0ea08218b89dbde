import { BUILDS, everythingStored, expect, openHarness, signIn, test } from './fixtures.js';

// Tokens that stay fresh for the whole test: it counts the provider's requests (see fresh-session.spec.ts).
test.use({ accessTokenTtl: 60 });

const statusOf = (page: import('@playwright/test').Page) => page.evaluate(() => (window as any).client.state.status);

test.describe('storage modes', () => {
  test("indexedDbStorage() keeps the session across tabs and closed tabs, and logout clears it", async ({ page, context, stack }) => {
    await page.goto(stack.app.origin + BUILDS.esm);
    await page.evaluate(() => localStorage.setItem('harness:options', '{"storage":"indexeddb"}'));
    await signIn(page, stack, 'esm');
    expect(await statusOf(page)).toBe('authenticated');
    expect(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.endsWith(':session')))).toEqual([]);
    const stored = await everythingStored(page);
    expect(stored).toContain('idb:oidc-session');
    await page.close();

    const before = stack.provider.requests.length;
    const second = await context.newPage();
    await openHarness(second, stack, 'cdn');
    expect(await statusOf(second)).toBe('authenticated');
    expect(await second.evaluate(async () => (await (window as any).client.getUser()).sub)).toBe('ada');
    expect(stack.provider.requests.length).toBe(before);

    await Promise.all([second.waitForURL((url) => url.origin === stack.provider.issuer), second.evaluate(() => void (window as any).client.logout())]);
    await second.goto(stack.app.origin + BUILDS.esm);
    await second.waitForFunction(() => (window as any).harnessReady === true);
    expect(await statusOf(second)).toBe('anonymous');
    expect(await everythingStored(second)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  test("memoryStorage() completes the redirect login but keeps tokens only until reload", async ({ page, stack }) => {
    await page.goto(stack.app.origin + BUILDS.cdn);
    await page.evaluate(() => localStorage.setItem('harness:options', '{"storage":"memory"}'));
    const result = await signIn(page, stack, 'cdn');
    expect(result).toMatchObject({ ok: true, sub: 'ada' });
    expect(await everythingStored(page)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    await page.reload();
    await page.waitForFunction(() => (window as any).harnessReady === true);
    expect(await statusOf(page)).toBe('anonymous');
  });
});
