// The README's quick starts, as written there, built and driven against the real provider: the npm
// one (auth.ts + main.ts, bundled by Vite) and the script tag one (the CDN build, no bundler).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readmeAppFiles, withTestProvider } from '../../support/readme-blocks.js';
import { confirmProviderLogout, expect, fillProviderLogin, frameworkTest } from '../support/app-fixture.js';
import { addressBar } from '../../support/page-checks.js';

const files = readmeAppFiles();
for (const name of ['auth.ts', 'main.ts', 'script-tag.html']) if (!files[name]) throw new Error(`README has no readme-app block for ${name}`);

/** The npm quick start: the README's two files, with a page that has the buttons main.ts looks for. */
function npmApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-npm-'));
  mkdirSync(join(dir, 'src'));
  const appUrl = '`${location.origin}${import.meta.env.BASE_URL}`';
  writeFileSync(join(dir, 'src/auth.ts'), withTestProvider(files['auth.ts'] as string, appUrl));
  writeFileSync(join(dir, 'src/main.ts'), files['main.ts'] as string);
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>README quick start</title><!-- oidc-config --></head>
<body><button id="login">Sign in</button><button id="logout">Sign out</button><button id="orders">Orders</button>
<script type="module" src="./src/main.ts"></script></body></html>`,
  );
  return dir;
}

/** The script tag quick start: the CDN build, then the README's block as the page's body. */
function scriptTagApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-cdn-'));
  const body = (files['script-tag.html'] as string)
    .replace("'https://passport.rollup.id'", 'OIDC_CONFIG.issuer')
    .replace("'your-client-id'", 'OIDC_CONFIG.clientId');
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>README script tag</title><!-- oidc-config -->
<script src="/dist/oidc-session.global.js"></script></head>
<body>
${body}</body></html>`,
  );
  return dir;
}

const npm = frameworkTest({ name: 'readme-npm', appDir: npmApp(), pagePaths: ['', 'callback'] });

npm('the npm quick start: sign in, call an API with the token, sign out, every URL clean', async ({ page, stack, baseUrl }) => {
  const warnings: string[] = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await page.goto(baseUrl);
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'anonymous');
  await page.click('#login');
  await fillProviderLogin(page, stack, baseUrl);
  // handleRedirect() completed the login on /callback, and main.ts went to login's returnTo.
  await page.waitForURL((url) => url.pathname === '/account');
  expect((await addressBar(page)).search).toBe('');
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'authenticated');

  let authorization: string | undefined;
  await page.route('**/api/orders', (route) => {
    authorization = route.request().headers().authorization;
    return route.fulfill({ json: [{ id: 1 }] });
  });
  await page.click('#orders');
  await expect.poll(() => authorization).toMatch(/^Bearer \S+$/);

  await page.goto(baseUrl);
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'authenticated');
  await page.click('#logout');
  await confirmProviderLogout(page, stack, baseUrl);
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'anonymous');
  // The provider's state came back with the logout, and handleRedirect() took it away: no error.
  await expect.poll(async () => (await addressBar(page)).search).toBe('');
  expect(warnings).toEqual([]);
});

const cdn = frameworkTest({ name: 'readme-cdn', appDir: scriptTagApp() });

cdn('the script tag quick start: sign in and out on one page, the address bar clean after each', async ({ page, stack, baseUrl }) => {
  const warnings: string[] = [];
  page.on('console', (message) => message.type() === 'warning' && warnings.push(message.text()));
  await page.goto(baseUrl);
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'anonymous');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await fillProviderLogin(page, stack, baseUrl);
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'authenticated');
  expect((await addressBar(page)).search).toBe('');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await confirmProviderLogout(page, stack, baseUrl);
  await expect(page.locator('body')).toHaveAttribute('data-auth', 'anonymous');
  await expect.poll(async () => (await addressBar(page)).search).toBe('');
  expect(warnings).toEqual([]);
});
