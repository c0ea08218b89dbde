// Back-channel logout across instances: two app processes (the built package) share one Redis, the
// provider posts its logout token to one of them, and the session ends on both at once (the target
// is within 1 s) because the end marker and the indexes live in the shared store, not in a process.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RedisClientType } from 'redis';
import { startRedis } from '../support/redis-server.mjs';
import { call, loginAt, redisClient, signOutAtProvider, startWorld, type World } from './harness.js';
import { requireBuiltServer, startAppProcess, type AppProcess } from './processes.js';

let world: World;
let redis: Awaited<ReturnType<typeof startRedis>>;
let client: RedisClientType;
/** Listens on the app origin's port: the provider's back-channel posts reach this one only. */
let a: AppProcess;
let b: AppProcess;
const delivered: string[] = [];

beforeAll(async () => {
  requireBuiltServer();
  world = await startWorld({
    clientMetadata: (origin) => ({ backchannel_logout_uri: `${origin}/auth/backchannel-logout`, backchannel_logout_session_required: true }),
  });
  world.provider.provider.on('backchannel.success', () => void delivered.push('ok'));
  world.provider.provider.on('backchannel.error', (_ctx: unknown, error: Error) => void delivered.push(`error: ${error.message}`));
  redis = await startRedis();
  client = await redisClient(redis.url);
  [a, b] = await Promise.all([
    startAppProcess(world, redis.url, { backchannelLogout: true }, world.appPort),
    startAppProcess(world, redis.url, { backchannelLogout: true }),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.all([a?.kill(), b?.kill()]);
  client?.destroy();
  await redis?.stop();
  await world?.close();
}, 15_000);

async function status(jar: Parameters<typeof call>[1], app: AppProcess): Promise<{ status: number; reason?: string }> {
  const response = await call(world, jar, '/auth/session', { base: app.base });
  const reason = (response.body as { reason?: string } | undefined)?.reason;
  return { status: response.status, ...(reason ? { reason } : {}) };
}

test('a logout token received by instance A ends the session on instance B within 1 s, and only that session', async () => {
  // Signed in through B: A has never seen this session except through Redis.
  const ada = await loginAt(world, { base: b.base });
  const other = await loginAt(world, { base: b.base });
  for (const app of [a, b]) expect(await status(ada.jar, app)).toEqual({ status: 200 });

  const started = performance.now();
  await signOutAtProvider(world, ada.providerJar);
  // oidc-provider answers the logout once its back-channel posts are done: by then the session is over.
  const onB = await status(ada.jar, b);
  const elapsed = performance.now() - started;
  expect(delivered).toEqual(['ok']);
  expect(onB).toEqual({ status: 401, reason: 'provider' });
  expect(await status(ada.jar, a)).toEqual({ status: 401, reason: 'provider' });
  expect((await call(world, ada.jar, '/api/me', { base: b.base })).status).toBe(401);
  expect(elapsed, `the whole provider logout plus B's check took ${Math.round(elapsed)} ms`).toBeLessThan(1000);

  // The other browser's session (another provider session) goes on, on both instances.
  for (const app of [a, b]) expect(await status(other.jar, app)).toEqual({ status: 200 });
  for (const app of [a, b]) expect(app.alive(), app.output()).toBe(true);
}, 20_000);
