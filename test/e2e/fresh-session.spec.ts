// A session whose access token is fresh costs the provider nothing: not on reload, not in a new tab,
// not after every tab was closed (IndexedDB). A token that falls due is renewed on the next focus or
// visibility change, as it should be; with the suite's 6 s tokens, a slow step (a loaded machine, a
// slower engine) made it fall due mid-test. These tests get 60 s tokens, so "no request" means that.
import {
  BUILDS,
  expect,
  openHarness,
  openTab,
  setHarnessOptions,
  signIn,
  storedSession,
  test,
  waitForStatus,
  type Build,
} from './fixtures.js';

test.use({ accessTokenTtl: 60 });

for (const build of Object.keys(BUILDS) as Build[]) {
  test(`${build} build: a reload with a live session is authenticated without any network request to the provider`, async ({ page, stack }) => {
    await signIn(page, stack, build);
    const before = stack.provider.requests.length;
    const providerRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(stack.provider.issuer)) providerRequests.push(request.url());
    });
    await page.reload();
    await page.waitForFunction(() => (window as any).harnessReady === true);
    const status = await page.evaluate(() => (window as any).client.state.status);
    expect(status).toBe('authenticated');
    expect(await page.evaluate(async () => (await (window as any).client.getUser()).sub)).toBe('ada');
    expect(providerRequests).toEqual([]);
    expect(stack.provider.requests.length).toBe(before);
  });
}

test('a tab opened after login adopts the session from its siblings, with no provider request', async ({ page, context, stack }) => {
  await signIn(page, stack, 'esm');
  const before = stack.provider.requests.length;
  const fresh = await openTab(context, stack, 'cdn');
  await waitForStatus(fresh, 'authenticated');
  expect(await storedSession(fresh)).toMatchObject({ claims: { sub: 'ada' } });
  expect(stack.provider.requests.length).toBe(before);
});

test('IndexedDB mode: the session survives closing every tab', async ({ page, context, stack }) => {
  await setHarnessOptions(page, stack, { storage: 'indexeddb' });
  await signIn(page, stack, 'esm');
  const second = await openTab(context, stack, 'cdn');
  await waitForStatus(second, 'authenticated');
  await page.close();
  await second.close();
  const before = stack.provider.requests.length;
  const reopened = await context.newPage();
  await openHarness(reopened, stack, 'esm');
  await waitForStatus(reopened, 'authenticated');
  expect(stack.provider.requests.length).toBe(before);
});

test('a new tab that can adopt the live session never reports anonymous: loading, then authenticated', async ({ page, context, stack }) => {
  await signIn(page, stack, 'esm');
  const fresh = await openTab(context, stack, 'cdn');
  await waitForStatus(fresh, 'authenticated');
  // Every state the app could have rendered, from the first read on.
  const states = await fresh.evaluate(() => (window as any).events.filter((e: any) => e.type === 'state').map((e: any) => e.status));
  expect(states).toEqual(['loading', 'authenticated']);
});
