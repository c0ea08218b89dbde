import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readBeacon } from '../../src/tabs/beacon.js';
import type { GuardedStorage } from '../../src/session/guarded-storage.js';
import { AuthClient, isAuthError } from '../../src/index.js';
import { keyPrefix } from '../../src/session/storage-keys.js';
import { parseTabMessage } from '../../src/tabs/tab-message.js';
import { parseSessionRecord } from '../../src/session/token-set.js';
import { takeTransaction } from '../../src/session/transaction.js';
import { createFakeProvider } from './fake-provider.js';
import { inspectableStorage } from './harness.js';

// Property-based fuzzing: 10,000 generated callback URLs and 10,000 generated stored records per run.
// Whatever comes in, the SDK only ever rejects with an AuthError, stores tokens only from a valid
// response, and never sends the user outside the app's origin.

const RUNS = 10_000;
const APP = 'https://rp.test';
// The fake provider's access and refresh tokens, and any three-part JWT.
const TOKEN_LIKE = /"(at|rt)-[0-9a-f]{8}-|eyJ[\w-]+\.[\w-]+\.[\w-]+/;

const provider = await createFakeProvider();

function newClient() {
  const storage = inspectableStorage();
  const navigations: string[] = [];
  const client = new AuthClient({
    issuer: provider.issuer,
    clientId: provider.clientId,
    redirectUri: `${APP}/cb`,
    storage,
    fetch: provider.fetch,
    navigate: (url) => void navigations.push(url),
  });
  return { client, storage, navigations };
}

/** A value for one callback parameter: the genuine one, a near miss, or junk. */
const paramValue = (genuine: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(genuine) },
    fc.constant(''),
    fc.constant(`${genuine}x`),
    fc.constant(genuine.toUpperCase()),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('https://evil.test', 'javascript:alert(1)', '%00', '<script>', '../../', '\u202e'),
  );

describe('fuzzing the callback', () => {
  it(`never throws anything but an AuthError, stores tokens only from a valid response (${RUNS} URLs)`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          // The redirect URI's own path and origin most of the time, so the success path is reached.
          path: fc.oneof({ weight: 3, arbitrary: fc.constant('/cb') }, fc.constantFrom('/cb/', '/other', '/cb;x', '/CB')),
          origin: fc.oneof({ weight: 3, arbitrary: fc.constant(APP) }, fc.constantFrom('https://evil.test', 'http://rp.test', 'com.example.app:')),
          // A third of the runs carry exactly the parameters of a success response, so the success
          // path is reached often enough for the property to mean something.
          keys: fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom<string[]>(['code', 'state', 'iss'], ['app', 'code', 'state', 'iss']) },
            { weight: 4, arbitrary: fc.subarray(['code', 'state', 'iss', 'error', 'error_description', 'session_state', 'response', 'id_token', 'token', 'app']) },
          ),
          // RFC 6749 §3.1: any response parameter twice is refused (a fifth of the runs).
          duplicate: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'session_state')),
          fragment: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
          seed: fc.integer(),
        }),
        fc.context(),
        async (shape, ctx) => {
          const { client, storage, navigations } = newClient();
          await client.login({ returnTo: '/after' });
          const genuine = new URL(provider.authorize(navigations[0] as string));
          const values = await fc.sample(
            fc.record({
              code: paramValue(genuine.searchParams.get('code') ?? ''),
              state: paramValue(genuine.searchParams.get('state') ?? ''),
              iss: paramValue(provider.issuer),
              error: fc.constantFrom('access_denied', 'server_error', '', 'x'),
              other: fc.string({ maxLength: 20 }),
            }),
            { seed: shape.seed, numRuns: 1 },
          )[0]!;
          const url = new URL(shape.origin + shape.path);
          for (const key of shape.keys) {
            const value = key in values ? values[key as keyof typeof values] : values.other;
            url.searchParams.append(key, value);
            if (key === shape.duplicate) url.searchParams.append(key, value);
          }
          if (shape.fragment !== undefined) url.hash = shape.fragment;
          ctx.log(url.href);

          let outcome: 'resolved' | 'rejected' = 'rejected';
          try {
            const result = await client.handleCallback(url.href);
            outcome = 'resolved';
            accepted++;
            // Success only for the genuine response, at the redirect URI (RFC 8252 §7.1: no other
            // path, host or scheme), and only to a path on our own origin.
            expect(url.href.split(/[?#]/)[0]).toBe(`${APP}/cb`);
            expect(url.searchParams.get('code')).toBe(genuine.searchParams.get('code'));
            expect(url.searchParams.get('state')).toBe(genuine.searchParams.get('state'));
            expect(new URL(result.returnTo, APP).origin).toBe(APP);
            expect(result.returnTo).toBe('/after');
            // Never with a parameter given twice, nor an empty one.
            expect(shape.duplicate === undefined || !shape.keys.includes(shape.duplicate)).toBe(true);
            for (const name of ['code', 'state', 'iss', 'error', 'error_description', 'session_state']) expect(url.searchParams.get(name)).not.toBe('');
          } catch (error) {
            if (!isAuthError(error)) throw error;
          }
          const stored = [...storage.map.values()].filter((v) => TOKEN_LIKE.test(v));
          expect(stored.length).toBe(outcome === 'resolved' ? 1 : 0);
          // handleCallback never navigates; the only navigation is the login's, to the provider.
          expect(navigations.length).toBe(1);
          expect(new URL(navigations[0] as string).origin).toBe(new URL(provider.issuer).origin);
        },
      ),
      { numRuns: RUNS },
    );
    // The generator reaches the success path too: the property is not vacuous.
    expect(accepted).toBeGreaterThan(50);
  }, 300_000);
});

describe('fuzzing what is read back from storage', () => {
  const validRecord = {
    v: 1,
    issuer: `${provider.issuer}/`,
    clientId: provider.clientId,
    sid: 's1',
    gen: 0,
    loginAt: Date.now(),
    accessToken: 'at-x',
    tokenType: 'bearer',
    receivedAt: Date.now(),
    expiresAt: Date.now() + 600_000,
    refreshToken: 'rt-unknown',
    idToken: 'id',
    claims: { sub: 'alice' },
  };
  const mutated = fc
    .record({ key: fc.constantFrom(...Object.keys(validRecord)), value: fc.jsonValue() })
    .map(({ key, value }) => JSON.stringify({ ...validRecord, [key]: value }));
  const storedValue = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    mutated,
    fc.constant(JSON.stringify(validRecord)),
    fc.constant('{"v":1'),
    fc.constant('x'.repeat(600_000)),
  );

  it(`never throws anything but an AuthError, and trusts only well-formed records (${RUNS} records)`, async () => {
    let authenticated = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ session: storedValue, discovery: storedValue, beacon: storedValue, txn: storedValue }),
        async (values) => {
          const { client, storage, navigations } = newClient();
          storage.map.set('oidc-session:v1:spa:session', values.session);
          storage.map.set('oidc-session:v1:spa:discovery', values.discovery);
          storage.map.set('oidc-session:v1:spa:beacon', values.beacon);
          storage.map.set('oidc-session:v1:spa:txn:s', values.txn);
          const expected = parseSessionRecord(values.session, { issuer: validRecord.issuer, clientId: validRecord.clientId });
          const state = client.state;
          if (state.status === 'authenticated') {
            authenticated++;
            expect(expected).toBeDefined();
          }
          for (const call of [() => client.getUser(), () => client.getAccessToken(), () => client.handleCallback(`${APP}/cb?state=s&code=c`)]) {
            await call().catch((error: unknown) => {
              if (!isAuthError(error)) throw error;
            });
          }
          expect(navigations).toEqual([]);
          client.dispose();
        },
      ),
      { numRuns: RUNS },
    );
    expect(authenticated).toBeGreaterThan(100);
  }, 300_000);

  it(`parses any message from another tab without throwing (${RUNS} messages)`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ v: fc.constant(1), from: fc.string(), type: fc.string(), reason: fc.string(), at: fc.anything(), record: fc.anything() })), (message) => {
        const parsed = parseTabMessage(message);
        if (parsed) expect(['hello', 'changed', 'session', 'logout']).toContain(parsed.type);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzzing the address bar after a callback', () => {
  // RFC 9700 §4.2.4 and the browser-based-apps BCP: after handleCallback, whatever the outcome, no
  // response or token-bearing parameter and no fragment is left in the address bar, and the app's own
  // parameters are exactly as they were (same pairs, same spelling, same order).
  const REMOVED = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state', 'access_token', 'id_token', 'refresh_token', 'token_type', 'expires_in', 'response'];
  afterEach(() => void vi.unstubAllGlobals());
  /** A query-string name: a removed one (possibly percent-encoded), or an app's own. */
  const name = fc.oneof(
    fc.constantFrom(...REMOVED),
    fc.constantFrom(...REMOVED).map((n) => n.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`)),
    fc.constantFrom('app', 'q', 'next', 'Code', 'STATE', 'codes', 'x_state', 'page'),
  );
  const value = fc.oneof(fc.constantFrom('', '1', 'a%20b', 'a+b', '%2F', '%E2%82%AC', 'x=y'), fc.stringMatching(/^[\w.~-]{0,12}$/));

  it(`leaves only the app's own parameters, verbatim (${RUNS} URLs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 8 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined }), fc.boolean(), async (pairs, fragment, genuine) => {
        const { client, navigations } = newClient();
        await client.login({ returnTo: '/after' });
        const response = genuine ? new URL(provider.authorize(navigations[0] as string)).search.slice(1) : '';
        const query = [...pairs.map(([n, v]) => `${n}=${v}`), ...(response ? [response] : [])].join('&');
        const href = `${APP}/cb${query ? `?${query}` : ''}${fragment === undefined ? '' : `#${fragment}`}`;
        const bar = { href: new URL(href).href };
        vi.stubGlobal('location', bar);
        vi.stubGlobal('history', { state: null, replaceState: (_: unknown, __: string, url: string) => void (bar.href = new URL(url, bar.href).href) });
        await client.handleCallback().catch((error: unknown) => {
          if (!isAuthError(error)) throw error;
        });
        const after = new URL(bar.href);
        for (const removed of REMOVED) expect(after.searchParams.has(removed), removed).toBe(false);
        expect(after.hash).toBe('');
        const own = new URL(href).search.slice(1).split('&').filter((pair) => pair && !REMOVED.includes([...new URLSearchParams(pair).keys()][0] ?? ''));
        expect(after.search.slice(1).split('&').filter(Boolean)).toEqual(own);
        client.dispose();
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});

describe('fuzzing each field of each stored record', () => {
  // Storage is untrusted input (security rules 1 and 5): every field of the session record, the pending
  // login (transaction) and the beacon has a type and a bound, and a record with any one field outside
  // them is not used. The contracts, as the parsers enforce them:
  const NOW = Date.UTC(2026, 10, 27, 12);
  const DAY = 86_400_000;
  const TOKEN = 64 * 1024;
  const str = (min: number, max: number) => fc.string({ minLength: min, maxLength: max });
  const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
  const notNumber = fc.oneof(fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}), fc.constant('5'));
  const boundedString = (max: number) => ({
    ok: fc.oneof(str(1, 40), fc.constant('x'.repeat(max))),
    bad: fc.oneof(fc.constant(''), fc.constant('x'.repeat(max + 1)), notString),
  });
  const instant = (min: number, max: number) => ({
    ok: fc.double({ min, max, noNaN: true }),
    bad: fc.oneof(...(max < 1e300 ? [fc.double({ min: max + 1, max: 1e300, noNaN: true })] : []), fc.double({ min: -1e300, max: Math.min(min - 1, -Number.MIN_VALUE), noNaN: true }), notNumber),
  });
  type Contract = Record<string, { ok?: fc.Arbitrary<unknown>; bad: fc.Arbitrary<unknown> }>;

  const session = {
    base: { v: 1, issuer: `${provider.issuer}/`, clientId: 'spa', sid: 's1', gen: 0, loginAt: NOW - 1000, accessToken: 'at', tokenType: 'bearer', receivedAt: NOW, expiresAt: NOW + 600_000, refreshToken: 'rt', idToken: 'id', claims: { sub: 'alice' }, scope: 'openid' },
    contract: {
      v: { bad: fc.oneof(fc.constant(2), fc.constant('1'), notNumber) },
      issuer: { bad: fc.oneof(fc.constant(provider.issuer), fc.constant('https://evil.test/'), notString) },
      clientId: { bad: fc.oneof(fc.constant('other'), fc.constant(''), notString) },
      sid: boundedString(64),
      gen: { ok: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e15, noNaN: true })), bad: fc.oneof(fc.double({ min: -1e9, max: -0.001, noNaN: true }), notNumber) },
      // loginAt ≤ receivedAt ≤ expiresAt ≤ receivedAt + a day (expires_in is bounded at a day).
      loginAt: instant(0, NOW),
      receivedAt: { ok: fc.double({ min: NOW - 1000, max: NOW + 600_000, noNaN: true }), bad: fc.oneof(fc.double({ min: NOW + 600_001, max: 1e300, noNaN: true }), fc.double({ min: 0, max: NOW - 1001, noNaN: true }), notNumber) },
      expiresAt: { ok: fc.double({ min: NOW, max: NOW + DAY, noNaN: true }), bad: fc.oneof(fc.double({ min: NOW + DAY + 1, max: 1e300, noNaN: true }), fc.double({ min: -1e300, max: NOW - 1, noNaN: true }), notNumber) },
      accessToken: boundedString(TOKEN),
      tokenType: boundedString(TOKEN),
      idToken: boundedString(TOKEN),
      refreshToken: { ok: fc.oneof(fc.constant(undefined), str(1, 40)), bad: fc.oneof(fc.constant(''), fc.constant('x'.repeat(TOKEN + 1)), notString) },
      claims: { ok: fc.record({ sub: str(1, 20), name: fc.jsonValue() }), bad: fc.oneof(fc.constant(null), fc.constant([]), fc.constant('alice'), fc.constant({}), fc.record({ sub: notString }), fc.constant({ sub: '' })) },
      scope: { ok: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 40 })), bad: notString },
    } as Contract,
    parse: async (raw: string) => parseSessionRecord(raw, { issuer: `${provider.issuer}/`, clientId: 'spa' }),
  };
  const keys = keyPrefix('spa');
  const fakeStorage = (raw: string) => ({ get: async () => raw, remove: async () => undefined }) as unknown as GuardedStorage;
  const transaction = {
    base: { v: 1, state: 's', nonce: 'n', codeVerifier: 'v', issuer: `${provider.issuer}/`, redirectUri: `${APP}/cb`, returnTo: '/after', maxAge: 60, createdAt: NOW },
    contract: {
      v: { bad: fc.oneof(fc.constant(2), notNumber) },
      // The record must be the one for the state it is stored under.
      state: { bad: fc.oneof(fc.constant('t'), fc.constant(''), notString) },
      nonce: boundedString(2048),
      codeVerifier: boundedString(2048),
      issuer: boundedString(2048),
      redirectUri: boundedString(2048),
      // Re-validated as a same-origin path when used; bounded by the record's 16 KiB.
      returnTo: { ok: fc.string({ maxLength: 40 }), bad: notString },
      maxAge: { ok: fc.oneof(fc.constant(undefined), fc.nat()), bad: fc.oneof(fc.constant(-1), notNumber) },
      // A pending login lives 15 minutes (either way, for clocks that moved).
      createdAt: { ok: fc.double({ min: NOW - 900_000, max: NOW + 900_000, noNaN: true }), bad: fc.oneof(fc.double({ min: NOW + 900_001, max: 1e300, noNaN: true }), fc.double({ min: -1e300, max: NOW - 900_001, noNaN: true }), notNumber) },
    } as Contract,
    parse: async (raw: string) => {
      const taken = await takeTransaction(fakeStorage(raw), keys, 's', NOW, () => true);
      return typeof taken === 'object' ? taken : undefined;
    },
  };
  const beacon = {
    base: { v: 1, sid: 's1', gen: 3, loginAt: NOW, out: 0 },
    contract: {
      v: { bad: fc.oneof(fc.constant(2), notNumber) },
      sid: boundedString(64),
      // Instants and counts: finite and 0 or more (a far-future `out` only lasts until the next login writes its beacon).
      gen: instant(0, 1e300),
      loginAt: instant(0, 1e300),
      out: instant(0, 1e300),
    } as Contract,
    parse: (raw: string) => readBeacon(fakeStorage(raw), `${keys}beacon`),
  };
  const kinds = { session, transaction, beacon };

  it(`uses a record only when every field keeps its contract (${RUNS} records)`, async () => {
    const cases = fc.constantFrom(...(Object.keys(kinds) as Array<keyof typeof kinds>)).chain((kind) =>
      fc.constantFrom(...Object.keys(kinds[kind].contract)).chain((field) => {
        const rule = kinds[kind].contract[field] as Contract[string];
        const choices = rule.ok ? [rule.bad.map((v) => ({ v, ok: false })), rule.ok.map((v) => ({ v, ok: true }))] : [rule.bad.map((v) => ({ v, ok: false }))];
        return fc.oneof(...choices).map(({ v, ok }) => ({ kind, field, value: v, ok }));
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ kind, field, value, ok }) => {
        const { base, parse } = kinds[kind];
        const raw = JSON.stringify({ ...base, [field]: value });
        const parsed = await parse(raw);
        expect(parsed !== undefined, `${kind}.${field} = ${JSON.stringify(value)?.slice(0, 60)}`).toBe(ok);
      }),
      { numRuns: RUNS },
    );
    // The unaltered records are accepted: the property is not vacuous.
    for (const { base, parse } of Object.values(kinds)) expect(await parse(JSON.stringify(base))).toBeDefined();
  }, 300_000);
});
