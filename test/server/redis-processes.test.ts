// Two app processes (the built package) behind one app origin, sharing one Redis: a session from one
// is valid on the other, a logout on one ends it on both, a restart keeps it, and a refresh that
// both want at once happens once.
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { RedisClientType } from 'redis';
import { startRedis } from '../support/redis-server.mjs';
import { SESSION_COOKIE, call, loginAt, redisClient, redisKey, sessionCookie, startWorld, storeKey, type World } from './harness.js';
import { requireBuiltServer, startAppProcess, type AppProcess } from './processes.js';

let world: World;
let redis: Awaited<ReturnType<typeof startRedis>>;
let client: RedisClientType;
let a: AppProcess;
let b: AppProcess;
/** Milliseconds the provider holds each token request while set: makes two processes' refreshes overlap. */
let tokenDelay = 0;

beforeAll(async () => {
  requireBuiltServer();
  world = await startWorld({
    providerMiddleware: [
      async (ctx, next) => {
        if (tokenDelay && ctx.method === 'POST' && ctx.path === '/token') await new Promise((resolve) => setTimeout(resolve, tokenDelay));
        await next();
      },
    ],
  });
  redis = await startRedis();
  client = await redisClient(redis.url);
  [a, b] = await Promise.all([startAppProcess(world, redis.url, { tokenRoute: true }), startAppProcess(world, redis.url, { tokenRoute: true })]);
}, 30_000);
afterEach(() => {
  tokenDelay = 0;
  // Neither process died on the way.
  for (const app of [a, b]) expect(app.alive(), app.output()).toBe(true);
});
afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  client?.destroy();
  await redis?.stop();
  await world?.close();
}, 15_000);

test('a session created on process A is valid on B; a logout on B ends it on A too', async () => {
  const { jar, finalUrl } = await loginAt(world, { base: a.base });
  expect(finalUrl).toBe(`${world.appOrigin}/home`);
  const id = sessionCookie(jar);
  expect(await client.keys('oidc-session:*')).toEqual(expect.arrayContaining([redisKey(await storeKey(id, 's')), redisKey(await storeKey(id, 't'))]));
  for (const app of [a, b]) {
    const session = await call(world, jar, '/auth/session', { base: app.base });
    expect(session.status).toBe(200);
    expect((session.body as { user: { sub: string } }).user.sub).toBe('ada');
  }
  const onB = await call(world, jar, '/api/me', { base: b.base });
  expect(onB).toMatchObject({ status: 200, body: { sub: 'ada', pid: b.child.pid } });

  const revocations = world.provider.count('revocation');
  const out = await call(world, jar, '/auth/logout', { base: b.base, method: 'POST', csrf: true });
  expect(out.status).toBe(200);
  expect(world.provider.count('revocation')).toBe(revocations + 1);
  const stale = `${SESSION_COOKIE}=${id}`;
  for (const app of [a, b]) {
    expect((await call(world, stale, '/auth/session', { base: app.base })).status).toBe(401);
    expect((await call(world, stale, '/api/me', { base: app.base })).status).toBe(401);
  }
  expect(await client.keys(`oidc-session:*${(await storeKey(id)).slice(2)}*`)).toEqual([]);
}, 15_000);

test('a restart (A killed, a new process on its port) keeps the session, tokens included', async () => {
  const { jar } = await loginAt(world, { base: a.base });
  const token = (await call(world, jar, '/auth/token', { base: a.base, csrf: true })).body as { accessToken: string };
  const port = a.port;
  const oldPid = a.child.pid;
  await a.kill();
  expect((await fetch(`${a.base}/auth/session`).catch((error: Error) => error)) instanceof Error).toBe(true);
  a = await startAppProcess(world, redis.url, { tokenRoute: true }, port);
  expect(a.child.pid).not.toBe(oldPid);
  expect(await call(world, jar, '/api/me', { base: a.base })).toMatchObject({ status: 200, body: { sub: 'ada', pid: a.child.pid } });
  expect((await call(world, jar, '/auth/session', { base: a.base })).status).toBe(200);
  const after = await call(world, jar, '/auth/token', { base: a.base, csrf: true });
  expect(after.status).toBe(200);
  expect((after.body as { accessToken: string }).accessToken).toBe(token.accessToken);
}, 15_000);

test('both processes needing a refresh at once: exactly one refresh request, one new token for all', async () => {
  const { jar } = await loginAt(world, { base: a.base });
  const old = ((await call(world, jar, '/auth/token', { base: a.base, csrf: true })).body as { accessToken: string }).accessToken;
  // Both clocks past the access token's expiry; the provider slow enough that the two refreshes overlap.
  await Promise.all([a.setClockOffset(120_000), b.setClockOffset(120_000)]);
  tokenDelay = 300;
  const before = world.provider.count('token', 'refresh_token');
  const revokedGrants = world.provider.revokedGrants.length;
  const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => call(world, jar, '/auth/token', { base: (i % 2 ? b : a).base, csrf: true })));
  expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
  expect(world.provider.count('token', 'refresh_token')).toBe(before + 1);
  const tokens = new Set(responses.map((r) => (r.body as { accessToken: string }).accessToken));
  expect(tokens.size).toBe(1);
  expect(tokens.has(old)).toBe(false);
  // No refresh-token reuse happened: the provider revoked no grant, and the session lives on both.
  expect(world.provider.revokedGrants).toHaveLength(revokedGrants);
  for (const app of [a, b]) expect((await call(world, jar, '/auth/session', { base: app.base })).status).toBe(200);
  expect(await client.keys('oidc-session:l:*')).toEqual([]);
  await Promise.all([a.setClockOffset(0), b.setClockOffset(0)]);
}, 15_000);
