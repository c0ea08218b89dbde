// Numbers a provider sends the session server are bounded as in browser mode (src/session/token-set.ts):
// RFC 6749 §5.1 `expires_in` is the provider's word, not a contract. A lifetime past a day counts as a
// day (and `1e12` or `1e308` stay usable dates); however short the provider makes its tokens (0 or 1 s
// every time), a session refreshes at most once a second and never earlier than half a lifetime, so a
// page polling `GET token` cannot turn a provider's short lifetimes into a refresh storm.
import { beforeEach, describe, expect, test } from 'vitest';
import type { SessionServer } from '../../src/server/index.js';
import { createFakeProvider, type FakeProvider } from '../unit/fake-provider.js';
import { APP, CSRF_HEADERS as csrf, loginCookie, serverFor } from './fake-provider-server.js';
import { fakeClock } from './harness.js';
const DAY_MS = 86_400_000;

let fake: FakeProvider;
let server: SessionServer;
let clock: ReturnType<typeof fakeClock>;
let expiresIn: unknown;

beforeEach(async () => {
  clock = fakeClock();
  fake = await createFakeProvider({ clientId: 'app', accessTokenTtl: 60, now: clock.now });
  fake.hooks.token = async (body, normal) => {
    const tokens = (await (await normal()).json()) as Record<string, unknown>;
    return fake.json({ ...tokens, expires_in: expiresIn });
  };
  server = serverFor(fake, { tokenRoute: true, now: clock.now });
});

const login = () => loginCookie(server, fake);

const token = async (cookie: string) => {
  const response = await server.handle(new Request(`${APP}/auth/token`, { headers: { cookie, ...csrf } }));
  return { status: response.status, body: (await response.json()) as { expiresAt?: number } };
};

describe('expires_in from the provider', () => {
  test.each([1e12, 1e308, 365 * 86_400])('%s seconds counts as a day', async (value) => {
    expiresIn = value;
    const cookie = await login();
    const { status, body } = await token(cookie);
    expect(status).toBe(200);
    expect(body.expiresAt).toBeLessThanOrEqual(clock.now() + DAY_MS);
    expect(body.expiresAt).toBeGreaterThan(clock.now() + DAY_MS - 5_000);
  });

  test.each([0, 1])('%s seconds every time: polling GET token refreshes at most once a second', async (value) => {
    expiresIn = value;
    const cookie = await login();
    const before = fake.count('/token', 'refresh_token');
    for (let i = 0; i < 20; i++) expect((await token(cookie)).status).toBe(200);
    expect(fake.count('/token', 'refresh_token') - before).toBeLessThanOrEqual(1);
    clock.advance(1_000);
    expect((await token(cookie)).status).toBe(200);
    expect(fake.count('/token', 'refresh_token') - before).toBeLessThanOrEqual(2);
  });
});
