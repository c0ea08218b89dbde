// Every redirect the session server builds stays on the app's origin, whatever `returnTo` a link
// carried: the login -> provider -> callback chain when the provider refuses (`prompt=none` without a
// provider session gives `login_required`, OIDC Core §3.1.2.6) and when it signs the user in. A
// browser resolves each `Location` against the current URL (RFC 9110 §10.2.2, WHATWG URL), so
// `//host/x` there means another host: the server must never produce one.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSealer } from '../../src/server/seal.js';
import { CookieJar } from '../support/fetch-login.mjs';
import { SECRET, SESSION_COOKIE, startWorld, type World } from './harness.js';

const EVIL = 'evil.example';
let world: World;
let providerOrigin: string;

beforeAll(async () => {
  world = await startWorld();
  providerOrigin = new URL(world.provider.issuer).origin;
  await world.startApp();
});
afterAll(() => world?.close());

/** Return targets that are `//evil.example/x` in disguise, and look-alikes that are harmless paths. */
function variants(): string[] {
  const app = world.appOrigin;
  return [
    `/.//${EVIL}/x`,
    `/..//${EVIL}/x`,
    `/%2e//${EVIL}/x`,
    `/%2E%2E//${EVIL}/x`,
    `/.%2e//${EVIL}/x`,
    `/a/..//${EVIL}/x`,
    `.//${EVIL}/x`,
    `%2e//${EVIL}/x`,
    `//${EVIL}/x`,
    `///${EVIL}/x`,
    `${app}//${EVIL}/x`,
    `${app}/.//${EVIL}/x`,
    `${app.toUpperCase()}//${EVIL}/x`,
    `/\\${EVIL}/x`,
    `/%5C${EVIL}/x`,
    `/%5c%5c${EVIL}/x`,
    `/\t/${EVIL}/x`,
    `/\n/${EVIL}/x`,
    `/\r\n/${EVIL}/x`,
    ` //${EVIL}/x`,
    `/%2F/${EVIL}/x`,
    `/%2F%2F${EVIL}/x`,
    `/./%2F/${EVIL}/x`,
    `/\u3002\u3002//${EVIL}/x`,
    `/\uff0e\uff0e//${EVIL}/x`,
    `/@${EVIL}/x`,
    `@${EVIL}/x`,
    `https:${EVIL}/x`,
    `https:/${EVIL}/x`,
    `https://${EVIL}/x`,
    `${app}@${EVIL}/x`,
    `/x#//${EVIL}`,
  ];
}

interface Chain {
  /** Every URL requested, in order. */
  hops: string[];
  /** Every Location the app answered with, resolved as a browser does. */
  appLocations: string[];
  /** Where the browser ends up (not fetched when it is neither the app nor the provider). */
  final: string;
  status: number;
}

/** Follows redirects like a browser, app and provider cookies apart; never fetches a third origin. */
async function follow(start: string, app = new CookieJar()): Promise<Chain> {
  const provider = new CookieJar();
  const hops: string[] = [];
  const appLocations: string[] = [];
  let url = start;
  for (let i = 0; i < 20; i++) {
    const origin = new URL(url).origin;
    if (origin !== world.appOrigin && origin !== providerOrigin) return { hops, appLocations, final: url, status: 0 };
    hops.push(url);
    const jar = origin === world.appOrigin ? app : provider;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    const body = await response.text();
    // The callback's landing page (a SameSite=Strict session cookie) moves on with a meta refresh.
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]*)">/.exec(body)?.[1];
    const location = response.headers.get('location') ?? (refresh && unescapeHtml(refresh));
    if (!location || (response.status !== 200 && (response.status < 300 || response.status >= 400))) return { hops, appLocations, final: url, status: response.status };
    const next = new URL(location, url).href;
    if (jar === app) appLocations.push(next);
    url = next;
  }
  throw new Error(`redirects did not end: ${hops.join(' -> ')}`);
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');
}

function loginUrl(returnTo: string, query = ''): string {
  return `${world.appOrigin}/auth/login?returnTo=${encodeURIComponent(returnTo)}${query}`;
}

/** The browser is on the app's origin, on a path that is not scheme-relative. */
function expectOnApp(chain: Chain, what: string): void {
  const final = new URL(chain.final);
  expect(final.origin, `${what}: ${chain.hops.join(' -> ')} -> ${chain.final}`).toBe(world.appOrigin);
  expect(final.pathname, what).not.toMatch(/^\/[/\\]/);
  for (const location of chain.appLocations) {
    const origin = new URL(location).origin;
    expect([world.appOrigin, providerOrigin], `${what}: the app redirected to ${location}`).toContain(origin);
    if (origin === world.appOrigin) expect(new URL(location).pathname, what).not.toMatch(/^\/[/\\]/);
  }
}

describe('redirects stay on the app origin', () => {
  test('the chain of a refused login (prompt=none: login_required) ends on the app origin for every return target', async () => {
    let reachedCallback = 0;
    for (const returnTo of variants()) {
      const chain = await follow(loginUrl(returnTo, '&prompt=none'));
      expectOnApp(chain, JSON.stringify(returnTo));
      if (chain.hops.some((hop) => hop.startsWith(`${world.appOrigin}/auth/callback`))) {
        reachedCallback++;
        expect(new URL(chain.final).searchParams.get('auth_error'), JSON.stringify(returnTo)).toBe('login_required');
      } else {
        // Refused up front: a clear 400, nothing started.
        expect(chain.status, JSON.stringify(returnTo)).toBe(400);
      }
    }
    // The look-alikes are accepted and went the whole way (the control: the chain really ran).
    expect(reachedCallback).toBeGreaterThanOrEqual(5);
  });

  test('the chain of a successful login ends on the app origin, on a path that is not scheme-relative', async () => {
    for (const returnTo of variants()) {
      const chain = await follow(loginUrl(returnTo));
      expectOnApp(chain, JSON.stringify(returnTo));
    }
    const control = await follow(loginUrl('/%2F/deep?q=1#frag'));
    expect(control.final).toBe(`${world.appOrigin}/%2F/deep?q=1#frag`);
    expect(control.hops.some((hop) => hop.startsWith(`${world.appOrigin}/auth/callback`))).toBe(true);
  });

  test('an error redirect is concatenated onto the origin even for a pending login whose returnTo is scheme-relative', async () => {
    // A pending login sealed by the server before this fix (or by any other path) may hold `//host/x`.
    const sealer = createSealer([SECRET], 'pending-login');
    for (const hostile of [`//${EVIL}/x`, `/\\${EVIL}/x`, `https://${EVIL}/x`, `@${EVIL}/x`, `/.//${EVIL}/x`, '']) {
      const start = await fetch(loginUrl('/home', '&prompt=none'), { redirect: 'manual' });
      await start.arrayBuffer();
      const state = new URL(start.headers.get('location') as string).searchParams.get('state') as string;
      const [pair] = start.headers.getSetCookie().filter((line) => line.startsWith(`${SESSION_COOKIE}.login.`));
      const name = (pair as string).slice(0, (pair as string).indexOf('='));
      const sealed = (pair as string).slice(name.length + 1, (pair as string).indexOf(';'));
      let context: string | undefined;
      let plain = await sealer.unseal(sealed);
      if (plain === undefined) plain = await sealer.unseal(sealed, (context = name));
      expect(plain, 'the test must be able to open the pending login').toBeDefined();
      const forged = await sealer.seal(JSON.stringify({ ...JSON.parse(plain as string), returnTo: hostile }), context);
      const callback = `${world.appOrigin}/auth/callback?error=login_required&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(world.provider.issuer)}`;
      const response = await fetch(callback, { redirect: 'manual', headers: { cookie: `${name}=${forged}` } });
      await response.arrayBuffer();
      expect(response.status).toBe(303);
      const location = new URL(response.headers.get('location') as string, callback);
      expect(location.origin, `${hostile} -> ${location.href}`).toBe(world.appOrigin);
      expect(location.pathname, hostile).not.toMatch(/^\/[/\\]/);
      // The forged pending login was accepted (the control): the provider's error came through.
      expect(location.searchParams.get('auth_error')).toBe('login_required');
    }
  });
});

describe('the size of a return target', () => {
  // Every pending login rides in a cookie (RFC 6265bis §5.7: browsers keep at most 4096 bytes a
  // cookie, and servers refuse headers past ~16 KiB): an unbounded returnTo would make a pending
  // cookie the browser drops, and a few of them a Cookie header that locks the user out (431).
  test('a returnTo over 1024 characters is refused with 400 before anything starts; 1024 is accepted', async () => {
    const long = await fetch(loginUrl(`/${'a'.repeat(1024)}`), { redirect: 'manual' });
    expect(long.status).toBe(400);
    expect(await long.json()).toEqual({ error: 'invalid_return_to' });
    expect(long.headers.getSetCookie()).toEqual([]);
    const fits = await fetch(loginUrl(`/${'a'.repeat(1023)}`), { redirect: 'manual' });
    await fits.arrayBuffer();
    expect(fits.status).toBe(303);
  });

  test('six logins started with the longest returnTo: the cookies stay under the limits and the last login completes', async () => {
    const jar = new CookieJar();
    const returnTo = `/${'b'.repeat(1023)}`;
    for (let i = 0; i < 5; i++) {
      const start = await fetch(loginUrl(returnTo), { redirect: 'manual', headers: { cookie: jar.header() } });
      await start.arrayBuffer();
      for (const line of start.headers.getSetCookie()) expect(line.length).toBeLessThan(4096);
      jar.take(start);
    }
    expect(jar.header().length).toBeLessThan(16_384);
    const chain = await follow(loginUrl(returnTo), jar);
    expect(chain.final).toBe(`${world.appOrigin}${returnTo}`);
  });
});

describe('what a redirect tells the next page', () => {
  // RFC 9700 §4.2.4: the callback URL carries the code and state; no page after it (the app's, a
  // third party's resource on it) may learn it from a Referer. Every redirect the server answers says so.
  test('GET login and an error callback answer Referrer-Policy: no-referrer', async () => {
    const start = await fetch(loginUrl('/home', '&prompt=none'), { redirect: 'manual' });
    await start.arrayBuffer();
    expect(start.status).toBe(303);
    expect(start.headers.get('referrer-policy')).toBe('no-referrer');
    const state = new URL(start.headers.get('location') as string).searchParams.get('state') as string;
    const cookie = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const callback = `${world.appOrigin}/auth/callback?error=login_required&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(world.provider.issuer)}`;
    const done = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    await done.arrayBuffer();
    expect(done.status).toBe(303);
    expect(done.headers.get('referrer-policy')).toBe('no-referrer');
    const unknown = await fetch(`${world.appOrigin}/auth/callback?code=x&state=nothing-pending`, { redirect: 'manual' });
    await unknown.arrayBuffer();
    expect(unknown.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
