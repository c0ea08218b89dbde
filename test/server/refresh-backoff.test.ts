// Refresh storms and wrong statuses on the session server (issue 12 §1, "Refresh storms and wrong
// statuses"), against the real oidc-provider. RFC 6749 §5.2 and RFC 9110 §15.6: 429 and 5xx mean "try
// again later", not "no"; RFC 9110 §10.2.3: Retry-After says when; the shared policy (src/protocol/retry-policy.ts)
// waits 4, 8, 16, 32, then 60 s, or longer when Retry-After asks. The session is kept, `GET token`
// answers 502, and during the back-off the provider sees no request for that session. Siblings: every
// transient status (429, 500, 503), with and without Retry-After, transport failures and timeouts, every
// provider call (discovery, code exchange, refresh); a session without a refresh token is 401, not 500.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { NetworkError } from '../../src/server/index.js';
import { SESSION_COOKIE, call, fakeClock, login, loginAt, sessionCookie, startWorld, type App, type World } from './harness.js';
import { CookieJar } from '../support/fetch-login.mjs';

type Failure = { status: number; retryAfter?: string } | 'drop' | 'slow';

let world: World;
/** How the provider's token endpoint (or discovery, with `failDiscovery`) misbehaves while set. */
let failure: Failure | undefined;
let failDiscovery = false;
/** Token (or discovery) requests the provider saw while failing. */
let failed = 0;
/** Leave the refresh token out of token responses (a provider that issues none). */
let stripRefreshToken = false;

beforeAll(async () => {
  world = await startWorld({
    accessTokenTtl: 60,
    providerMiddleware: [
      async (ctx, next) => {
        const target = failDiscovery ? ctx.path === '/.well-known/openid-configuration' : ctx.method === 'POST' && ctx.path === '/token';
        if (failure && target) {
          failed++;
          if (failure === 'drop') return void ctx.req.socket.destroy();
          if (failure === 'slow') await new Promise((resolve) => setTimeout(resolve, 1_500));
          else {
            ctx.status = failure.status;
            if (failure.retryAfter) ctx.set('retry-after', failure.retryAfter);
            ctx.body = { error: 'temporarily_unavailable' };
            return;
          }
        }
        await next();
        if (stripRefreshToken && ctx.path === '/token' && ctx.body && typeof ctx.body === 'object') delete ctx.body.refresh_token;
      },
    ],
  });
});
afterEach(() => {
  failure = undefined;
  failDiscovery = false;
  stripRefreshToken = false;
});
afterAll(() => world?.close());

const refreshes = () => world.provider.count('token', 'refresh_token');

describe('GET token while the provider fails', () => {
  let clock: ReturnType<typeof fakeClock>;
  let app: App;
  beforeAll(async () => {
    clock = fakeClock();
    app = await world.startApp({ now: clock.now, tokenRoute: true });
  });
  afterAll(() => app?.close());

  /** A session whose access token has expired. */
  async function expiredSession(): Promise<CookieJar> {
    const { jar } = await login(world);
    expect((await call(world, jar, '/auth/token', { csrf: true })).status).toBe(200);
    clock.advance(120_000);
    return jar;
  }

  const token = (jar: CookieJar) => call(world, jar, '/auth/token', { csrf: true });

  test.each([
    [429, undefined],
    [429, '120'],
    [500, undefined],
    [500, '120'],
    [503, undefined],
    [503, '120'],
  ])('%i (Retry-After %s): 502, one request per back-off step, session kept, recovery after the wait', async (status, retryAfter) => {
    const jar = await expiredSession();
    failure = { status, ...(retryAfter ? { retryAfter } : {}) };
    const before = failed;
    const failedAt = clock.now();
    const first = await token(jar);
    expect(first.status).toBe(502);
    expect(failed).toBe(before + 1);
    // The error says when the next attempt is allowed: Retry-After when it asks for longer than the back-off.
    const wait = retryAfter ? 120_000 : 4_000;
    const retryAfterSent = Number(first.headers.get('retry-after'));
    expect(retryAfterSent).toBeGreaterThanOrEqual(wait / 1000 - 1);
    expect(retryAfterSent).toBeLessThanOrEqual(wait / 1000);
    const error = await app.server.getAccessToken({ headers: { cookie: `${SESSION_COOKIE}=${sessionCookie(jar)}` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).retryAt).toBeGreaterThanOrEqual(failedAt + wait);
    expect((error as NetworkError).retryAt).toBeLessThan(failedAt + wait + 2_000);
    // Many calls during the back-off: all 502, none reaches the provider; the session stays.
    for (let i = 0; i < 10; i++) expect((await token(jar)).status).toBe(502);
    expect(failed).toBe(before + 1);
    expect((await call(world, jar, '/auth/session')).status).toBe(200);
    clock.advance(wait - 1_000);
    expect((await token(jar)).status).toBe(502);
    expect(failed).toBe(before + 1);
    // Past the wait: one new attempt (still failing), then the next, longer step.
    clock.advance(2_000);
    expect((await token(jar)).status).toBe(502);
    expect(failed).toBe(before + 2);
    expect((await token(jar)).status).toBe(502);
    expect(failed).toBe(before + 2);
    // The provider is back: after the second step's wait (8 s, or Retry-After), a fresh token.
    failure = undefined;
    const renewedBefore = refreshes();
    clock.advance(retryAfter ? 120_000 : 8_000);
    const recovered = await token(jar);
    expect(recovered.status).toBe(200);
    expect((recovered.body as { expiresAt: number }).expiresAt).toBeGreaterThan(clock.now() + 30_000);
    expect(refreshes()).toBe(renewedBefore + 1);
  });

  test('a minute of polling a failing provider: at most four requests (4, 8, 16, 32 s apart)', async () => {
    const jar = await expiredSession();
    failure = { status: 503 };
    const before = failed;
    for (let t = 0; t < 60_000; t += 500) {
      expect((await token(jar)).status).toBe(502);
      clock.advance(500);
    }
    expect(failed - before).toBe(4);
  }, 60_000);

  test('concurrent requests during a failure: one provider request, every caller 502', async () => {
    const jar = await expiredSession();
    failure = { status: 500 };
    const before = failed;
    const responses = await Promise.all(Array.from({ length: 10 }, () => token(jar)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(502));
    expect(failed).toBe(before + 1);
  });

  test('a malformed 200 answer (no access_token: a protocol error) backs off too: no storm, session kept, recovery', async () => {
    const jar = await expiredSession();
    failure = { status: 200 };
    const before = failed;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await token(jar)).status);
    expect(statuses).toEqual(Array(6).fill(502));
    expect(failed).toBe(before + 1);
    expect((await call(world, jar, '/auth/session')).status).toBe(200);
    failure = undefined;
    clock.advance(4_001);
    expect((await token(jar)).status).toBe(200);
  });

  test('a transport failure (connection dropped) is 502 and backs off too', async () => {
    const jar = await expiredSession();
    failure = 'drop';
    const before = failed;
    expect((await token(jar)).status).toBe(502);
    expect((await token(jar)).status).toBe(502);
    expect(failed).toBe(before + 1);
    expect((await call(world, jar, '/auth/session')).status).toBe(200);
  });

  test('a session without a refresh token: 401 once its access token expires, and on a forced refresh', async () => {
    stripRefreshToken = true;
    const { jar } = await login(world);
    stripRefreshToken = false;
    expect((await token(jar)).status).toBe(200);
    const before = refreshes();
    expect((await call(world, jar, '/auth/token?forceRefresh=1', { csrf: true })).status).toBe(401);
    clock.advance(120_000);
    for (let i = 0; i < 3; i++) expect((await token(jar)).status).toBe(401);
    expect(refreshes()).toBe(before);
  });
});

test('a refresh that times out is 502 (timeout) and backs off', async () => {
  const clock = fakeClock();
  const app = await world.startApp({ now: clock.now, tokenRoute: true, requestTimeoutSeconds: 1 });
  try {
    const { jar } = await login(world);
    clock.advance(120_000);
    failure = 'slow';
    const before = failed;
    const error = await app.server.getAccessToken({ headers: { cookie: `${SESSION_COOKIE}=${sessionCookie(jar)}` } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).code).toBe('timeout');
    expect((await call(world, jar, '/auth/token', { csrf: true })).status).toBe(502);
    expect(failed).toBe(before + 1);
  } finally {
    await app.close();
  }
});

test('discovery answering 503 makes GET login 502, backs off (Retry-After honoured), and a later login works', async () => {
  const clock = fakeClock();
  const app = await world.startApp({ now: clock.now });
  try {
    const before = failed;
    failDiscovery = true;
    failure = { status: 503, retryAfter: '5' };
    const attempt = () => fetch(`${world.appOrigin}/auth/login?returnTo=/home`, { redirect: 'manual' });
    const first = await attempt();
    expect(first.status).toBe(502);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(5);
    // Every login during the back-off fails fast: the provider sees no discovery storm.
    for (let i = 0; i < 10; i++) expect((await attempt()).status).toBe(502);
    expect(failed - before).toBe(1);
    failure = undefined;
    clock.advance(5_000);
    const { finalUrl } = await login(world);
    expect(finalUrl).toBe(`${world.appOrigin}/home`);
  } finally {
    await app.close();
  }
});

test('metadata past its hour that cannot be refetched (503) is kept: logins go on during a discovery outage', async () => {
  const clock = fakeClock();
  const app = await world.startApp({ now: clock.now });
  try {
    await login(world);
    clock.advance(3_600_001);
    const before = failed;
    failDiscovery = true;
    failure = { status: 503 };
    const { finalUrl } = await login(world);
    expect(finalUrl).toBe(`${world.appOrigin}/home`);
    expect(failed - before).toBe(1);
  } finally {
    await app.close();
  }
});

test('the code exchange answering 503 ends the login with auth_error=network_error, not a protocol error', async () => {
  const app = await world.startApp();
  try {
    await login(world); // metadata cached, so only the token endpoint fails below
    failure = { status: 503 };
    const { finalUrl } = await loginAt(world, { returnTo: '/home' });
    expect(new URL(finalUrl).searchParams.get('auth_error')).toBe('network_error');
  } finally {
    await app.close();
  }
});
