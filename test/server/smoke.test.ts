import { afterAll, beforeAll, expect, test } from 'vitest';
import { call, login, startWorld, type World } from './harness.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  await world.startApp();
});
afterAll(() => world.close());

test('smoke: login, session, api, logout', async () => {
  const { jar, finalUrl } = await login(world);
  expect(finalUrl).toBe(`${world.appOrigin}/home`);
  const session = await call(world, jar, '/auth/session');
  expect(session.status).toBe(200);
  expect((session.body as { user: { sub: string } }).user.sub).toBe('ada');
  expect((await call(world, jar, '/api/me')).body).toEqual({ sub: 'ada' });
  const out = await call(world, jar, '/auth/logout', { method: 'POST', csrf: true });
  expect(out.status).toBe(200);
  expect((out.body as { redirectTo: string }).redirectTo).toContain('/session/end');
  expect((await call(world, jar, '/auth/session')).status).toBe(401);
});
