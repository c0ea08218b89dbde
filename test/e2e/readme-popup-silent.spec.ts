// The README's popup and silent sign-in blocks, as written there, built with Vite next to the README's
// auth.ts and driven in Chromium against the real provider. Each page also loads a small test-only
// module that exposes the client (window.auth) so that the test can read its state; the README's blocks
// are the pages' entries. (The popup blocker, COOP and forged messages: test/popup-e2e. Silent sign-in
// across sites and with third-party cookies blocked: test/silent-e2e.)
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { readmeAppFiles, withTestProvider } from '../support/readme-blocks.js';
import { ROOT, expect, fillProviderLogin, frameworkTest } from '../frameworks/support/app-fixture.js';

/** The two entries the framework apps' aliases leave out, from the built package too. */
const DIST_ALIASES = [{ find: /^oidc-session\/(popup|silent)$/, replacement: join(ROOT, 'dist/$1.js') }];

const files = readmeAppFiles();
for (const name of ['auth.ts', 'popup-login.ts', 'popup-callback.ts', 'silent.ts']) if (!files[name]) throw new Error(`README has no readme-app block for ${name}`);

/** The app's root URL (under Vite's base), where the README writes `https://app.example/`. */
const APP_URL = '`${location.origin}${import.meta.env.BASE_URL}`';

const page = (title: string, entries: string[], body = '') => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><!-- oidc-config --></head>
<body>${body}<script type="module" src="./src/test-hooks.ts"></script>${entries.map((src) => `<script type="module" src="./src/${src}"></script>`).join('')}</body></html>`;

/** A fresh app folder: the README's auth.ts, the given README blocks, the test hooks and the pages. */
function app(name: string, blocks: string[], pages: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/auth.ts'), withTestProvider(files['auth.ts'] as string, APP_URL));
  // The README's pages are at the origin's root; this app is served under its base.
  for (const block of blocks) writeFileSync(join(dir, 'src', block), (files[block] as string).replaceAll('${location.origin}/', '${location.origin}${import.meta.env.BASE_URL}'));
  writeFileSync(join(dir, 'src/test-hooks.ts'), "import { auth } from './auth';\n(window as any).auth = auth;\n");
  for (const [file, html] of Object.entries(pages)) writeFileSync(join(dir, file), html);
  return dir;
}

const viteFor = (dir: string, htmlFiles: string[]) => ({
  resolve: { alias: DIST_ALIASES },
  build: { rollupOptions: { input: Object.fromEntries(htmlFiles.map((file) => [file.replace(/\.html$/, ''), join(dir, file)])) } },
});

const status = (page: Page) => page.evaluate(() => (window as any).auth.state.status as string);
const sub = (page: Page) => page.evaluate(() => (window as any).auth.state.user?.sub as string | undefined);

const popupDir = app('readme-popup', ['popup-login.ts', 'popup-callback.ts'], {
  'index.html': page('README popup login', ['popup-login.ts'], '<button id="popup-login">Sign in</button>'),
  'popup-callback.html': page('README popup callback', ['popup-callback.ts'], '<p>Signing you in…</p>'),
});
const popupTest = frameworkTest({ name: 'readme-popup', appDir: popupDir, pagePaths: ['', 'callback', 'popup-callback.html'], vite: viteFor(popupDir, ['index.html', 'popup-callback.html']) });

popupTest.skip(({ browserName }) => browserName !== 'chromium', 'popup login is tested in Chromium (as test/popup-e2e is)');

popupTest('the popup blocks: sign in in a popup, the page stays; an ordinary visit of the callback page handles its redirect', async ({ page, stack, baseUrl }) => {
  const messages: string[] = [];
  page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
  await page.goto(`${baseUrl}?kept=1`);
  await expect.poll(() => status(page)).toBe('anonymous');
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#popup-login')]);
  await popup.waitForURL((url) => url.origin === new URL(stack.provider.issuer).origin);
  await popup.fill('input[name=login]', 'ada');
  await Promise.all([popup.waitForEvent('close'), popup.click('button.primary')]);
  await expect.poll(() => status(page)).toBe('authenticated');
  expect(await sub(page)).toBe('ada');
  expect(messages).toContain('log: signed in as ada');
  expect(messages.filter((m) => m.startsWith('warning:'))).toEqual([]);
  // The page never navigated: same document, same query.
  expect(page.url()).toBe(`${baseUrl}?kept=1`);
  expect(stack.provider.count('token', 'authorization_code')).toBe(1);

  // The callback page opened as an ordinary page: handlePopupCallback() is false, handleRedirect() runs.
  await page.goto(`${baseUrl}popup-callback.html`);
  await expect.poll(() => status(page)).toBe('authenticated');
  expect(page.url()).toBe(`${baseUrl}popup-callback.html`);
});

const silentDir = app('readme-silent', ['silent.ts'], { 'index.html': page('README silent sign-in', ['silent.ts']) });
const silentTest = frameworkTest({ name: 'readme-silent', appDir: silentDir, pagePaths: ['', 'callback'], vite: { resolve: { alias: DIST_ALIASES } } });

silentTest.skip(({ browserName }) => browserName !== 'chromium', 'silent sign-in is tested in Chromium (as test/silent-e2e is)');

silentTest('the silent sign-in block: signed out changes nothing; signed in at the provider, a new tab gets a session without a page', async ({ page, context, stack, baseUrl }) => {
  await page.goto(baseUrl);
  // Nobody is signed in at the provider: prompt=none answers login_required, which the block ignores.
  await expect.poll(() => stack.provider.count('authorization')).toBe(1);
  await expect.poll(() => page.evaluate(() => document.querySelectorAll('iframe').length)).toBe(0);
  await expect.poll(() => status(page)).toBe('anonymous');

  // A login with the provider's page; back on the callback, the block's handleRedirect() completes it.
  await page.evaluate(() => void (window as any).auth.login());
  await fillProviderLogin(page, stack, baseUrl);
  await expect.poll(() => status(page)).toBe('authenticated');
  const authorizations = stack.provider.count('authorization');
  expect(stack.provider.count('token', 'authorization_code')).toBe(1);

  // A new tab once the first one is gone: no session in this tab, but one at the provider.
  await page.close();
  const next = await context.newPage();
  await next.goto(baseUrl);
  await expect.poll(() => status(next)).toBe('authenticated');
  expect(await sub(next)).toBe('ada');
  expect(next.url()).toBe(baseUrl); // no page of the provider's was shown
  expect(stack.provider.count('authorization')).toBe(authorizations + 1);
  expect(stack.provider.count('token', 'authorization_code')).toBe(2);
  await expect.poll(() => next.evaluate(() => document.querySelectorAll('iframe').length)).toBe(0);
});
