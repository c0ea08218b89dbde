// What a browser-extension sign-in rests on, in a real Chromium with the test extension loaded:
// chrome.identity.launchWebAuthFlow ends at the https://<id>.chromiumapp.org/ redirect, through a plain
// 302 and through oidc-provider's login form filled in the auth window. No SDK yet: the page calls
// launchWebAuthFlow itself (fixture/auth-flow.js).
import { test as base, expect } from '@playwright/test';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProvider } from '../../demo/provider.mjs';
import { watchPageErrors } from '../support/page-checks.js';
import { chromiumAppUrl, fixtureExtensionId, launchExtension, runAuthFlow, signInAtProvider, startAuthFlow, type ExtensionContext } from './extension-context.js';

type Provider = Awaited<ReturnType<typeof startProvider>>;

const test = base.extend<{ ext: ExtensionContext }, { provider: Provider; redirector: string }>({
  // The demo provider, with the extension's chromiumapp.org callback registered, and CORS open to the
  // extension's origin: the token request comes from chrome-extension://<id>, which oidc-provider's
  // clientBasedCORS (redirect-URI origins only) would refuse.
  provider: [
    async ({}, use) => {
      const id = await fixtureExtensionId();
      const provider = await startProvider({
        redirectUris: [chromiumAppUrl(id, 'callback')],
        postLogoutRedirectUris: [],
        configure: (config: any) => {
          const allowed = config.clientBasedCORS;
          return { ...config, clientBasedCORS: (ctx: unknown, origin: string, client: unknown) => origin === `chrome-extension://${id}` || allowed(ctx, origin, client) };
        },
      });
      await use(provider);
      await provider.close();
    },
    { scope: 'worker' },
  ],
  // A local page that answers every request with a 302 to the extension's callback.
  redirector: [
    async ({}, use) => {
      const id = await fixtureExtensionId();
      const server: Server = createServer((req, res) => {
        const query = new URL(req.url ?? '/', 'http://x').search || '?code=x&state=y';
        res.writeHead(302, { location: chromiumAppUrl(id, 'callback') + query }).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await new Promise((resolve) => server.close(resolve));
    },
    { scope: 'worker' },
  ],
  ext: async ({}, use, testInfo) => {
    const ext = await launchExtension();
    const errors = watchPageErrors(ext.context);
    await use(ext);
    await ext.close();
    errors.check(testInfo);
  },
});

/** An authorization request of the demo client, with PKCE. */
function authorizationRequest(provider: Provider, redirectUri: string, params: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(`${provider.issuer}/auth`);
  const query = {
    client_id: provider.clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: redirectUri,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return { url: url.href, verifier, state };
}

test('the pinned key gives the extension the id Chromium reports', async ({ ext }) => {
  expect(ext.extensionId).toBe(await fixtureExtensionId());
  expect(ext.worker.url()).toBe(`${ext.origin}/background.js`);
  const redirect = await ext.page.evaluate(() => (globalThis as any).chrome.identity.getRedirectURL('callback'));
  expect(redirect).toBe(ext.redirectUrl('callback'));
});

test('launchWebAuthFlow resolves with the chromiumapp.org URL a local page redirects to', async ({ ext, redirector }) => {
  const expected = ext.redirectUrl('callback') + '?code=abc&state=def';
  // From the page, interactive and not: a redirect without a page to show needs no window.
  expect(await runAuthFlow(ext.page, `${redirector}/?code=abc&state=def`)).toEqual({ url: expected });
  await expect(ext.page.locator('#result')).toHaveText(expected);
  expect(await runAuthFlow(ext.page, `${redirector}/?code=abc&state=def`, { interactive: false })).toEqual({ url: expected });
  // From the service worker.
  expect(await runAuthFlow(ext.worker, `${redirector}/?code=abc&state=def`)).toEqual({ url: expected });
});

test('signs in at oidc-provider in the auth window, then exchanges the code from the extension', async ({ ext, provider }) => {
  const redirectUri = ext.redirectUrl('callback');
  const request = authorizationRequest(provider, redirectUri);
  const { authWindow, outcome } = await startAuthFlow(ext, request.url);
  await expect(authWindow).toHaveURL(new RegExp(`^${provider.issuer}/interaction/`));
  await signInAtProvider(authWindow, 'ada');

  const result = await outcome;
  expect(result.error).toBeUndefined();
  const callback = new URL(result.url!);
  expect(callback.origin + callback.pathname).toBe(redirectUri);
  expect(callback.searchParams.get('state')).toBe(request.state);
  expect(callback.searchParams.get('iss')).toBe(provider.issuer);
  expect(ext.context.pages()).not.toContain(authWindow); // the window closed itself

  // The token request the SDK will make, from the extension's origin.
  const tokens = await ext.page.evaluate(
    async ([issuer, form]) => {
      const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      const response = await fetch(metadata.token_endpoint, { method: 'POST', body: new URLSearchParams(form) });
      return { status: response.status, body: await response.json() };
    },
    [
      provider.issuer,
      { grant_type: 'authorization_code', client_id: provider.clientId, redirect_uri: redirectUri, code: callback.searchParams.get('code')!, code_verifier: request.verifier },
    ] as const,
  );
  expect(tokens.status).toBe(200);
  expect(tokens.body).toMatchObject({ token_type: 'Bearer', id_token: expect.any(String), refresh_token: expect.any(String) });

  // With the provider's session cookie in the profile, a non-interactive flow signs in again without a window.
  const silent = authorizationRequest(provider, redirectUri, { prompt: 'none' });
  const again = await runAuthFlow(ext.page, silent.url, { interactive: false });
  expect(new URL(again.url!).searchParams.get('state')).toBe(silent.state);
  expect(new URL(again.url!).searchParams.get('code')).toBeTruthy();
});

test('the flow fails when the user closes the window, or when a login is needed but not allowed', async ({ ext, provider }) => {
  const redirectUri = ext.redirectUrl('callback');
  const { authWindow, outcome } = await startAuthFlow(ext, authorizationRequest(provider, redirectUri).url);
  await authWindow.waitForSelector('input[name=login]');
  await authWindow.close();
  expect(await outcome).toEqual({ error: 'The user did not approve access.' });

  // No session at the provider: its login form would have to be shown.
  const needsLogin = await runAuthFlow(ext.page, authorizationRequest(provider, redirectUri).url, { interactive: false });
  expect(needsLogin.error).toMatch(/^User interaction required\./);

  // A second flow while one is open: Chromium 156 refuses it; Chromium 150 (Debian's build in late
  // 2026) opens a second window, and each flow ends on its own when its window closes.
  const first = await startAuthFlow(ext, authorizationRequest(provider, redirectUri).url);
  const secondWindow = ext.context.waitForEvent('page', { timeout: 10_000 });
  const second = runAuthFlow(ext.page, authorizationRequest(provider, redirectUri).url);
  const refusedOrOpened = await Promise.race([second.then((outcome) => ({ outcome })), secondWindow.then((window) => ({ window }))]);
  if ('outcome' in refusedOrOpened) {
    expect(refusedOrOpened.outcome).toEqual({ error: 'Only one web auth flow is allowed at a time.' });
    void secondWindow.catch(() => undefined);
  } else {
    await refusedOrOpened.window.close();
    expect(await second).toEqual({ error: 'The user did not approve access.' });
    expect(first.authWindow.isClosed(), 'the first flow’s window').toBe(false);
  }
  await first.authWindow.close();
  expect((await first.outcome).error).toBe('The user did not approve access.');
});
