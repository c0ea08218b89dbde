// Hostile session cookies: tampered, expired, truncated, oversized, empty, garbage, non-ASCII, sealed
// with another secret. Every one is "no session" (401), never a 500, for each store; a property test
// throws a few hundred random values (and random mutations of a real cookie) at each.
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SECRET, SESSION_COOKIE, fakeClock, login, sessionCookie, type App } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';

const OTHER_SECRET = 'another-secret-another-secret-another-secret-42';
const IDLE_SECONDS = 600;

const file = worldForFile();
const redis = file.redis;

/** A GET through a raw socket, so header bytes go out as given (fetch refuses some of them). */
function rawGet(path: string, cookie: string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: file.world.appPort, path, headers: { ...(cookie === undefined ? {} : { cookie }), ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode as number, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The same bytes under base64url's forgiving decoding (a change in a last character's spare bits is no change). */
function sameSealedBytes(a: string, b: string): boolean {
  return /^[\w-]+$/.test(a) && /^[\w-]+$/.test(b) && Buffer.from(a, 'base64url').equals(Buffer.from(b, 'base64url'));
}

describe.each(['memory', 'redis', 'cookie'] as const)('hostile cookies with the %s store', (kind) => {
  let opened: OpenStore;
  let app: App;
  let clock: ReturnType<typeof fakeClock>;
  let valid: string;
  let expired: string;
  let foreign: string;
  const stateful = kind !== 'cookie';

  beforeAll(async () => {
    clock = fakeClock();
    opened = await openKind(kind, redis, clock.now);
    const options = { store: opened.store, now: clock.now, idleTimeoutSeconds: IDLE_SECONDS };
    app = await file.world.startApp({ ...options, ...(stateful ? { tokenRoute: true } : {}) });
    expired = sessionCookie((await login(file.world)).jar);
    await app.close();
    clock.advance(IDLE_SECONDS * 1000 + 1_000);
    // A live session minted by a server with another secret, on the same store (a shared Redis).
    const other = await file.world.startApp({ ...options, secret: OTHER_SECRET });
    foreign = sessionCookie((await login(file.world)).jar);
    await other.close();
    app = await file.world.startApp({ ...options, ...(stateful ? { tokenRoute: true } : {}) });
    valid = sessionCookie((await login(file.world)).jar);
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  const cases = (): [string, string][] => {
    const middle = Math.floor(valid.length / 2);
    const flip = (value: string, at: number) => value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
    return [
      ['tampered (one character)', flip(valid, middle)],
      ['tampered (first character)', flip(valid, 0)],
      ['expired', expired],
      ['truncated by one', valid.slice(0, -1)],
      ['truncated by half', valid.slice(0, middle)],
      ['extended by one', `${valid}A`],
      ['oversized (5000 characters)', 'A'.repeat(5000)],
      ['a real cookie padded to 5000 characters', valid + 'A'.repeat(5000 - valid.length)],
      ['empty', ''],
      ['garbage', '%00<script>"\'{}[]'],
      ['JSON', JSON.stringify({ id: valid, v: 1, user: { sub: 'ada' }, createdAt: 0, idleExp: 9e15, absExp: 9e15 })],
      ['base64url JSON', Buffer.from(JSON.stringify({ v: 1, user: { sub: 'ada' }, createdAt: 0, idleExp: 9e15, absExp: 9e15 })).toString('base64url')],
      ['non-ASCII (UTF-8 bytes)', Buffer.from('ünïcødé-😀-セッション', 'utf8').toString('latin1')],
      ['non-ASCII around a real cookie', `${valid}é`],
      ['sealed with another secret', foreign],
    ];
  };

  test('the real cookie works (the control for everything below)', async () => {
    expect((await rawGet('/auth/session', `${SESSION_COOKIE}=${valid}`)).status).toBe(200);
    expect((await rawGet('/api/me', `${SESSION_COOKIE}=${valid}`)).status).toBe(200);
    // The foreign and expired cookies were real ones: only the secret and the clock make them fail.
    expect(foreign).not.toBe(valid);
    expect(expired).not.toBe(valid);
  });

  test('each hostile value is no session (401) on every route that reads it, never a 500', async () => {
    for (const [what, value] of cases()) {
      const cookie = `${SESSION_COOKIE}=${value}`;
      expect((await rawGet('/auth/session', cookie)).status, what).toBe(401);
      expect((await rawGet('/api/me', cookie)).status, what).toBe(401);
      if (stateful) expect((await rawGet('/auth/token', cookie, { 'x-oidc-session': '1' })).status, what).toBe(401);
    }
    for (const cookie of [undefined, SESSION_COOKIE, `${SESSION_COOKIE}=`, `;;=;${SESSION_COOKIE}`, `x=${valid}`, `${SESSION_COOKIE}x=${valid}`]) {
      expect((await rawGet('/auth/session', cookie)).status, String(cookie)).toBe(401);
    }
    // After all that, the real session is untouched.
    expect((await rawGet('/auth/session', `${SESSION_COOKIE}=${valid}`)).status).toBe(200);
  });

  test('property: random values and random mutations of a real cookie are 401', async () => {
    const ask = async (value: string) => {
      const response = await app.server.handle(new Request(`${file.world.appOrigin}/auth/session`, { headers: { cookie: `${SESSION_COOKIE}=${value}` } }));
      await response.arrayBuffer();
      return response.status;
    };
    const headerChar = fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code));
    const base64url = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
    const mutation = fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.oneof(base64url, headerChar), fc.nat({ max: 3 }))
      .map(([at, char, drop]) => valid.slice(0, at) + char + valid.slice(at + 1 + drop))
      .filter((value) => value !== valid && !sameSealedBytes(value, valid));
    const value = fc.oneof(
      fc.string({ unit: headerChar, maxLength: 300 }),
      fc.string({ unit: base64url, minLength: 43, maxLength: 43 }),
      fc.string({ unit: base64url, minLength: 20, maxLength: 2000 }),
      mutation,
    );
    await fc.assert(
      fc.asyncProperty(value, async (cookie) => {
        expect(await ask(cookie)).toBe(401);
      }),
      { numRuns: 300 },
    );
    expect(await ask(valid)).toBe(200);
  });
});

test('the cookie secret is the test secret, not the other one (sanity of the setup)', () => {
  expect(OTHER_SECRET).not.toBe(SECRET);
  expect(OTHER_SECRET.length).toBeGreaterThanOrEqual(32);
});
