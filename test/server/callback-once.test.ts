// The callback is single-use. Two concurrent `GET callback` with one pending-login cookie (a reload
// while the first is in flight, a proxy's retry) must redeem the code once: a second redemption makes
// oidc-provider revoke the grant (RFC 6749 §4.1.2: "If an authorization code is used more than once,
// the authorization server MUST deny the request and SHOULD revoke ... all tokens previously issued"),
// and the new session dies at its first refresh. And a pending login carries its own issue time,
// checked by the server, so a pending cookie replayed after its lifetime is refused whatever the
// browser did with the cookie's Max-Age.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SESSION_COOKIE, call, fakeClock, landingPageTarget, type App, type World } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';
import { CookieJar } from '../support/fetch-login.mjs';

/** Token requests the provider received, counted before its routes (and slowed, so two callbacks overlap). */
const tokenRequests: string[] = [];
const file = worldForFile({
  providerMiddleware: [
    async (ctx, next) => {
      if (ctx.method === 'POST' && ctx.path === '/token') {
        tokenRequests.push(ctx.path);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      await next();
    },
  ],
});

/**
 * Starts a login and follows it through the provider up to (not into) the app's callback: the
 * callback URL and the app-side jar holding the pending-login cookie.
 */
async function untilCallback(world: World): Promise<{ callback: string; jar: CookieJar }> {
  const app = new CookieJar();
  const provider = new CookieJar();
  let url = `${world.appOrigin}/auth/login?returnTo=%2Fhome`;
  for (let i = 0; i < 20; i++) {
    if (url.startsWith(`${world.appOrigin}/auth/callback?`)) return { callback: url, jar: app };
    const jar = url.startsWith(`${world.appOrigin}/`) ? app : provider;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (!location) throw new Error(`no redirect at ${url}: ${response.status}`);
    url = new URL(location, url).href;
  }
  throw new Error('never reached the callback');
}

/** One `GET callback` as a browser sends it, not following where it leads. */
async function callback(url: string, cookie: string) {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie } });
  const body = await response.text();
  const session = response.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`) && !/Max-Age=0\b/.test(line));
  return { status: response.status, next: response.headers.get('location') ?? landingPageTarget(response, body), session: session && /^[^=]+=([^;]*)/.exec(session)?.[1] };
}

describe.each(['memory', 'redis', 'cookie'] as const)('single-use callback with the %s store', (kind) => {
  let clock: ReturnType<typeof fakeClock>;
  let opened: OpenStore;
  let app: App;
  beforeEach(async () => {
    clock = fakeClock();
    opened = await openKind(kind, file.redis, clock.now);
    app = await file.world.startApp({ store: opened.store, now: clock.now });
    return async () => {
      await app.close();
      await opened.close();
    };
  });
  afterEach(() => void (tokenRequests.length = 0));

  test('two concurrent callbacks with one pending cookie: one token request, one session, a clean refusal', async () => {
    const { callback: url, jar } = await untilCallback(file.world);
    tokenRequests.length = 0;
    const grantsRevoked = file.world.provider.revokedGrants.length;
    const [a, b] = await Promise.all([callback(url, jar.header()), callback(url, jar.header())]);
    expect(tokenRequests).toHaveLength(1);
    const won = [a, b].filter((r) => r.session);
    const lost = [a, b].filter((r) => !r.session);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(won[0]?.next).toBe(`${file.world.appOrigin}/home`);
    // The other one redeemed nothing and lands on the app's origin with the error, not a 500.
    expect(lost[0]?.status).toBe(303);
    expect(lost[0]?.next).toBe(`${file.world.appOrigin}/home?auth_error=transaction_not_found`);
    // The grant lives on: the provider never saw the code twice. (The cookie store keeps no tokens and
    // revokes the refresh token itself at login, so only the stores can show it.)
    if (kind !== 'cookie') expect(file.world.provider.revokedGrants.length).toBe(grantsRevoked);
    const session = await call(file.world, `${SESSION_COOKIE}=${won[0]?.session}`, '/auth/session');
    expect(session.status).toBe(200);
    if (opened.keys) expect((await opened.keys()).filter((key) => /(^|:)s:/.test(key))).toHaveLength(1);

    // A third, later replay of the same callback is refused as well.
    tokenRequests.length = 0;
    const replay = await callback(url, jar.header());
    expect(replay.session).toBeUndefined();
    expect(replay.next).toBe(`${file.world.appOrigin}/home?auth_error=transaction_not_found`);
    expect(tokenRequests).toHaveLength(0);
  });

  test('a pending cookie replayed after 11 minutes is refused by the server (not only by Max-Age)', async () => {
    const { callback: url, jar } = await untilCallback(file.world);
    tokenRequests.length = 0;
    clock.advance(11 * 60_000);
    const late = await callback(url, jar.header());
    expect(late.session).toBeUndefined();
    expect(late.status).toBe(303);
    expect(late.next).toBe(`${file.world.appOrigin}/home?auth_error=transaction_expired`);
    expect(tokenRequests).toHaveLength(0);
  });

  test('a pending login from the future (beyond a minute of clock skew) is refused', async () => {
    clock.advance(5 * 60_000);
    const { callback: url, jar } = await untilCallback(file.world);
    clock.advance(-5 * 60_000);
    tokenRequests.length = 0;
    const early = await callback(url, jar.header());
    expect(early.session).toBeUndefined();
    expect(early.next).toBe(`${file.world.appOrigin}/home?auth_error=transaction_expired`);
    expect(tokenRequests).toHaveLength(0);
  });

  test('a HEAD of the callback (link checker, prefetching proxy) redeems nothing and spends nothing', async () => {
    const { callback: url, jar } = await untilCallback(file.world);
    tokenRequests.length = 0;
    const head = await fetch(url, { method: 'HEAD', redirect: 'manual', headers: { cookie: jar.header() } });
    expect(head.status).toBeLessThan(300);
    expect(head.headers.getSetCookie()).toEqual([]);
    expect(tokenRequests).toHaveLength(0);
    const done = await callback(url, jar.header());
    expect(done.session).toEqual(expect.any(String));
    expect(tokenRequests).toHaveLength(1);
  });

  test('within its lifetime (9 minutes) the pending login still completes', async () => {
    const { callback: url, jar } = await untilCallback(file.world);
    clock.advance(9 * 60_000);
    const done = await callback(url, jar.header());
    expect(done.session).toEqual(expect.any(String));
    expect(done.next).toBe(`${file.world.appOrigin}/home`);
  });
});

describe('the cookie mode record of claimed states is bounded', () => {
  test('expired claims go first; past 10,000 the oldest go; a live claim is never claimable twice', async () => {
    const { resolveServerOptions } = await import('../../src/server/options.js');
    const { RelyingParty } = await import('../../src/server/relying-party.js');
    const { Sessions } = await import('../../src/server/sessions.js');
    const { cookieStore } = await import('../../src/server/index.js');
    let now = 1_000_000;
    const options = resolveServerOptions({ issuer: 'https://id.example', clientId: 'c', clientSecret: 's', appUrl: 'https://app.example', secret: 'x'.repeat(32), store: cookieStore(), now: () => now });
    const sessions = new Sessions(options, new RelyingParty(options));
    expect(await sessions.claimLogin('short', now + 1_000)).toBe(true);
    expect(await sessions.claimLogin('short', now + 1_000)).toBe(false);
    // Already past its lifetime: nothing to claim.
    expect(await sessions.claimLogin('late', now)).toBe(false);
    for (let i = 0; i < 9_999; i++) expect(await sessions.claimLogin(`s${i}`, now + 600_000)).toBe(true);
    now += 2_000;
    // At the cap, the expired claim ('short') makes room: every live one is still refused.
    expect(await sessions.claimLogin('next', now + 600_000)).toBe(true);
    expect(await sessions.claimLogin('s0', now + 600_000)).toBe(false);
    expect(await sessions.claimLogin('s9998', now + 600_000)).toBe(false);
    // Past the cap with nothing expired, the oldest claim is forgotten (and only it).
    expect(await sessions.claimLogin('one-more', now + 600_000)).toBe(true);
    expect(await sessions.claimLogin('s0', now + 600_000)).toBe(true);
    expect(await sessions.claimLogin('s2', now + 600_000)).toBe(false);
  });
});
