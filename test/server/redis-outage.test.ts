// Redis goes away under a running app process (the built package): store-backed routes answer 503
// within the store timeout, the process stays up, and when Redis is back on its port the app recovers
// by itself (the session is gone with the unpersisted Redis; a new login works).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRedis } from '../support/redis-server.mjs';
import { call, eventually, loginAt, sessionCookie, startWorld, type World } from './harness.js';
import { requireBuiltServer, startAppProcess, type AppProcess } from './processes.js';

let world: World;
let redis: Awaited<ReturnType<typeof startRedis>>;
let app: AppProcess;

beforeAll(async () => {
  requireBuiltServer();
  world = await startWorld();
  redis = await startRedis();
  app = await startAppProcess(world, redis.url, { storeTimeoutSeconds: 0.5, tokenRoute: true });
}, 30_000);
afterAll(async () => {
  await app?.kill();
  await redis?.stop();
  await world?.close();
});

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
}

test('outage: 503 within the store timeout, the process survives; back on the same port: recovered', async () => {
  const { jar } = await loginAt(world, { base: app.base });
  const id = sessionCookie(jar);
  expect((await call(world, jar, '/auth/session', { base: app.base })).status).toBe(200);

  await redis.stop();
  for (const [path, init] of [
    ['/auth/session', {}],
    ['/api/me', {}],
    ['/auth/token', { csrf: true }],
    ['/auth/logout', { method: 'POST', csrf: true }],
  ] as const) {
    const { result, ms } = await timed(() => call(world, jar, path, { base: app.base, ...init }));
    expect(result.status, path).toBe(503);
    expect(result.body, path).toEqual({ error: 'session_store_unavailable' });
    // The store deadline (0.5 s) answers, not a hang; the margin absorbs a loaded CI machine.
    expect(ms, path).toBeLessThan(3_000);
  }
  // A failed logout did not clear the cookie: the browser still holds the session for when Redis is back.
  expect(sessionCookie(jar)).toBe(id);
  // A login can start (no store needed) but cannot finish: the callback answers 503 too.
  const during = await loginAt(world, { base: app.base });
  expect(during.finalUrl).toMatch(/\/auth\/callback\?/);
  expect(during.status).toBe(503);
  expect(app.alive(), app.output()).toBe(true);

  redis = await startRedis({ port: redis.port });
  // The client reconnects by itself; the unpersisted Redis came back empty, so the session is gone.
  await eventually('the app answers without 503', async () => (await call(world, jar, '/auth/session', { base: app.base })).status !== 503, 10_000);
  expect((await call(world, jar, '/auth/session', { base: app.base })).status).toBe(401);
  expect((await call(world, jar, '/api/me', { base: app.base })).status).toBe(401);

  const again = await loginAt(world, { base: app.base });
  expect(again.finalUrl).toBe(`${world.appOrigin}/home`);
  expect(sessionCookie(again.jar)).not.toBe(id);
  expect(await call(world, again.jar, '/api/me', { base: app.base })).toMatchObject({ status: 200, body: { sub: 'ada' } });
  expect(app.alive(), app.output()).toBe(true);
  expect(app.output()).not.toMatch(/unhandled|uncaught/i);
}, 30_000);
