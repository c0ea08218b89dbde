// The session server's defaults, against the OAuth 2.0 for Browser-Based Apps BCP (§6.1, BFF) and
// OWASP's Session Management Cheat Sheet: a SameSite=Strict session cookie reached through a
// same-origin landing page, the CSRF header required on every unsafe request through
// sessionMiddleware (Express), and a confidential client unless a public one is asked for explicitly.
import express from 'express';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { ConfigError, createSessionServer, nodeHandler, sessionMiddleware, type SessionServerOptions } from '../../src/server/index.js';
import { CLIENT_ID, CLIENT_SECRET, SECRET, SESSION_COOKIE, call, landingPageTarget, login, loginAt, sessionCookie, type App } from './harness.js';
import { CookieJar } from '../support/fetch-login.mjs';
import { worldForFile } from './stores.js';

const file = worldForFile();
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('SameSite: Strict for the session cookie, Lax for the pending login', () => {
  test('the callback answers a same-origin landing page that sets the Strict cookie and moves on', async () => {
    app = await file.world.startApp();
    const { setCookies, hops, jar } = await loginAt(file.world, { returnTo: '/home?tab=2' });
    expect(setCookies[0]).toMatch(/; SameSite=Lax; Secure; Max-Age=600$/);
    expect(setCookies.at(-1)).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=\\d+$`));
    // callback -> (landing page) -> returnTo
    expect(hops.at(-2)).toMatch(new RegExp(`^${file.world.appOrigin}/auth/callback\\?`));
    expect(hops.at(-1)).toBe(`${file.world.appOrigin}/home?tab=2`);
    expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
  });

  test('the landing page: 200 HTML, no-store, no-referrer, a CSP without scripts, the target escaped', async () => {
    app = await file.world.startApp();
    // Drive a login up to the callback by hand to look at its raw answer.
    const jar = new CookieJar();
    const provider = new CookieJar();
    let url = `${file.world.appOrigin}/auth/login?returnTo=${encodeURIComponent("/x?a='&b=<i>")}`;
    let response: Response | undefined;
    for (let i = 0; i < 20; i++) {
      const mine = url.startsWith(`${file.world.appOrigin}/`);
      response = await fetch(url, { redirect: 'manual', headers: { cookie: (mine ? jar : provider).header() } });
      (mine ? jar : provider).take(response);
      if (url.startsWith(`${file.world.appOrigin}/auth/callback?`)) break;
      await response.arrayBuffer();
      url = new URL(response.headers.get('location') as string, url).href;
    }
    const page = response as Response;
    const body = await page.text();
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    // Firefox applies the policy to the favicon it fetches on its own, and logs a violation unless the
    // page names an icon the policy allows.
    expect(body).toContain('<link rel="icon" href="data:,">');
    expect(page.headers.get('content-security-policy')).toContain('img-src data:');
    expect(body).not.toMatch(/<script/i);
    expect(body).not.toMatch(/<i>/);
    const target = landingPageTarget(page, body);
    expect(target).toMatch(new RegExp(`^${file.world.appOrigin}/x\\?a=(%27|')&b=%3Ci%3E$`));
    expect(new URL(target as string).origin).toBe(file.world.appOrigin);
    expect(jar.cookies.get(SESSION_COOKIE)).toMatch(/^[\w-]{43}$/);
  });

  test("sessionCookieSameSite: 'lax' keeps a plain 303 and a Lax session cookie", async () => {
    app = await file.world.startApp({ sessionCookieSameSite: 'lax' });
    const { setCookies, hops, jar } = await loginAt(file.world);
    expect(setCookies.at(-1)).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=\\d+$`));
    expect(hops.at(-1)).toBe(`${file.world.appOrigin}/home`);
    expect((await call(file.world, jar, '/auth/session')).status).toBe(200);
  });

  test('failed logins still redirect (303): there is no session cookie to carry', async () => {
    app = await file.world.startApp();
    const forged = await call(file.world, '', '/auth/callback?code=x&state=y');
    expect(forged.status).toBe(303);
  });
});

describe('sessionMiddleware requires the CSRF header on unsafe requests (Express)', () => {
  let http: Server | undefined;
  let origin: string;
  afterEach(async () => {
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    http?.closeAllConnections();
    http = undefined;
    // As in the harness: let fetch see its keep-alive sockets close before the next server takes the port.
    await new Promise((resolve) => setTimeout(resolve, 25));
  });
  afterAll(() => http?.close());

  /** An Express app on the world's app origin: the routes, and one API route per method behind sessionMiddleware. */
  async function expressApp(middlewareOptions: Parameters<typeof sessionMiddleware>[1] = {}) {
    const server = createSessionServer({ issuer: file.world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: file.world.appOrigin, secret: SECRET, scope: 'openid offline_access' });
    const api = express();
    api.use(nodeHandler(server));
    let ran = 0;
    api.all('/api/orders', sessionMiddleware(server, middlewareOptions), (req, res) => {
      ran++;
      res.json({ method: req.method, sub: req.oidcSession?.user.sub ?? null });
    });
    http = createServer(api);
    await new Promise<void>((resolve) => http?.listen(file.world.appPort, '127.0.0.1', resolve));
    origin = file.world.appOrigin;
    return { ran: () => ran };
  }

  test('POST, PUT, PATCH, DELETE and unknown methods without the header: 403, the route never runs', async () => {
    const counter = await expressApp();
    const { jar } = await login(file.world);
    const before = sessionCookie(jar);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      const forged: Record<string, string>[] = [{}, { 'x-oidc-session': '1', origin: 'https://evil.example' }, { 'x-oidc-session': '1', 'sec-fetch-site': 'cross-site' }, { 'x-oidc-session': '0' }];
      for (const headers of forged) {
        const response = await call(file.world, jar, '/api/orders', { method, headers });
        expect(response.status, `${method} ${JSON.stringify(headers)}`).toBe(403);
        expect(response.body).toEqual({ error: 'csrf_check_failed' });
      }
    }
    expect(counter.ran()).toBe(0);
    expect(sessionCookie(jar)).toBe(before);
    // Positive controls: the header (as the browser client and the app's own fetch send it) passes.
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await call(file.world, jar, '/api/orders', { method, csrf: true });
      expect(response.status, method).toBe(200);
      expect(response.body).toEqual({ method, sub: 'ada' });
    }
    expect(counter.ran()).toBe(4);
    expect(origin).toBe(file.world.appOrigin);
  });

  test('GET, HEAD and OPTIONS need no header', async () => {
    const counter = await expressApp();
    const { jar } = await login(file.world);
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect((await call(file.world, jar, '/api/orders', { method })).status, method).toBe(200);
    expect(counter.ran()).toBe(3);
  });

  test('csrf: false turns it off, explicitly', async () => {
    const counter = await expressApp({ csrf: false });
    const { jar } = await login(file.world);
    expect((await call(file.world, jar, '/api/orders', { method: 'POST' })).status).toBe(200);
    expect(counter.ran()).toBe(1);
  });
});

describe('a confidential client unless a public one is asked for', () => {
  const base: SessionServerOptions = { issuer: 'https://id.example', clientId: 'app', appUrl: 'https://app.example', secret: 'x'.repeat(32) };
  test('no clientSecret and no tokenEndpointAuthMethod is a ConfigError that says how to opt in', () => {
    expect(() => createSessionServer(base)).toThrow(ConfigError);
    expect(() => createSessionServer(base)).toThrow(/clientSecret.*tokenEndpointAuthMethod: 'none'/);
  });
  test("tokenEndpointAuthMethod: 'none' is the public client; a secret next to it is refused", () => {
    expect(createSessionServer({ ...base, tokenEndpointAuthMethod: 'none' }).cookieName).toBe('__Host-oidc-session');
    expect(() => createSessionServer({ ...base, tokenEndpointAuthMethod: 'none', clientSecret: 's' })).toThrow(/clientSecret/);
  });
});
