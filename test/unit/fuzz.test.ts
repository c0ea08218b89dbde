import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthClient, isAuthError } from '../../src/index.js';
import { parseTabMessage } from '../../src/tab-message.js';
import { parseSessionRecord } from '../../src/token-set.js';
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
          path: fc.constantFrom('/cb', '/cb/', '/other', '/cb;x'),
          origin: fc.constantFrom(APP, 'https://evil.test', 'http://rp.test'),
          // A third of the runs carry exactly the parameters of a success response, so the success
          // path is reached often enough for the property to mean something.
          keys: fc.oneof(
            { weight: 2, arbitrary: fc.constantFrom<string[]>(['code', 'state', 'iss'], ['app', 'code', 'state', 'iss']) },
            { weight: 4, arbitrary: fc.subarray(['code', 'state', 'iss', 'error', 'error_description', 'session_state', 'response', 'id_token', 'token', 'app']) },
          ),
          duplicate: fc.option(fc.constantFrom('code', 'state', 'iss'), { nil: undefined }),
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
          const url = new URL(shape.path, shape.origin);
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
            // Success only for the genuine response, and only to a path on our own origin.
            expect(url.searchParams.get('code')).toBe(genuine.searchParams.get('code'));
            expect(url.searchParams.get('state')).toBe(genuine.searchParams.get('state'));
            expect(new URL(result.returnTo, APP).origin).toBe(APP);
            expect(result.returnTo).toBe('/after');
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
