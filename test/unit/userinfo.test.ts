import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { dpop } from '../../src/dpop/index.js';
import { fetchUserInfo } from '../../src/userinfo/index.js';
import { ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, type AuthClientOptions } from '../../src/index.js';
import type { FakeProvider } from './fake-provider.js';
import { setup } from './harness.js';
import { hashOf, withDPoP } from './dpop-fake.js';

// OpenID Connect Core 1.0 §5.3: oidc-session/userinfo against the unit fake provider, given a
// UserInfo endpoint here (fake-provider.ts has none).

type Answer = Response | Promise<Response>;

/** What reached the UserInfo endpoint. */
interface Seen {
  request: Request;
  authorization: string | null;
  dpop: string | null;
}

/**
 * Adds `userinfo_endpoint` to the provider's metadata and a UserInfo endpoint in front of `base`
 * (the provider's fetch): it logs each request and answers with the next of `script`, else `answer`.
 * Like a real fetch, a request's aborted signal rejects it whatever the endpoint is doing.
 */
function withUserInfo(provider: FakeProvider, base: typeof globalThis.fetch) {
  const seen: Seen[] = [];
  const script: ((request: Request) => Answer)[] = [];
  const state = { answer: (_request: Request): Answer => provider.json({ sub: 'alice', name: 'Alice from UserInfo', picture: 'https://img.test/a.png' }) };
  const discovery = provider.hooks.discovery;
  provider.hooks.discovery = async (normal) => {
    const metadata = await (discovery ? await discovery(normal) : normal()).json();
    return provider.json({ ...metadata, userinfo_endpoint: `${provider.issuer}/userinfo` });
  };
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (!(input instanceof Request) || new URL(input.url).pathname !== '/userinfo') return base(input, init);
    const request = init ? new Request(input, init) : input;
    seen.push({ request, authorization: request.headers.get('authorization'), dpop: request.headers.get('dpop') });
    const { signal } = request;
    return new Promise<Response>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      Promise.resolve((script.shift() ?? state.answer)(request)).then(resolve, reject);
    });
  };
  return { seen, script, state, fetch: fetch as typeof globalThis.fetch };
}

/** A signed-in Bearer client whose `fetch` option reaches the UserInfo endpoint. */
async function signedIn(clientOptions: Partial<AuthClientOptions> = {}, providerOptions: Parameters<typeof setup>[0] = {}) {
  const s = await setup(providerOptions);
  const ui = withUserInfo(s.provider, s.provider.fetch);
  const client = s.makeClient({ fetch: ui.fetch, ...clientOptions });
  await s.signIn(client);
  return { ...s, client, ui };
}

/** A signed-in DPoP client (keys in memory) against the DPoP fake, with the UserInfo endpoint. */
async function signedInWithDPoP() {
  const s = await setup();
  const fake = withDPoP(s.provider);
  const ui = withUserInfo(s.provider, fake.fetch);
  const client = s.makeClient({ fetch: ui.fetch, dpop: dpop({ keyStorage: 'memory' }) });
  await client.login();
  await client.handleCallback(fake.authorize(s.navigations.at(-1) as string));
  return { ...s, client, ui, fake };
}

const json = (body: unknown, init: ResponseInit = {}) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200, ...init, headers: { 'content-type': 'application/json', ...init.headers } });
const challenge = (value: string, status = 401) => new Response(null, { status, headers: { 'www-authenticate': value } });
/** A body that counts how often it was read from. */
function counted(text: string) {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({ pull: (c) => void (pulls++, c.enqueue(new TextEncoder().encode(text)), c.close()) }, { highWaterMark: 0 });
  return { stream, pulls: () => pulls };
}
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('fetchUserInfo (OIDC Core §5.3)', () => {
  it('GETs the userinfo_endpoint with the access token as Bearer and returns the ID token claims with the UserInfo claims added', async () => {
    const s = await signedIn();
    const idClaims = await s.client.getUser();
    const user = await fetchUserInfo(s.client);
    expect(s.ui.seen).toHaveLength(1);
    const [{ request, authorization, dpop: proof }] = s.ui.seen as [Seen];
    expect(request.method).toBe('GET');
    expect(request.url).toBe(`${s.provider.issuer}/userinfo`);
    expect(request.headers.get('accept')).toBe('application/json');
    expect(request.redirect).toBe('manual');
    expect(authorization).toBe('Bearer ' + (await s.client.getAccessToken()));
    expect(proof).toBeNull();
    expect(user).toEqual({ ...idClaims, name: 'Alice from UserInfo', picture: 'https://img.test/a.png' });
    expect(user).not.toBe(idClaims);
  });

  it('sends through options.fetch when given, not the client fetch', async () => {
    const s = await signedIn();
    const other = withUserInfo(s.provider, s.provider.fetch);
    other.state.answer = () => json({ sub: 'alice', locale: 'fr' });
    const user = await fetchUserInfo(s.client, { fetch: (request) => other.fetch(request) });
    expect(user.locale).toBe('fr');
    expect(other.seen).toHaveLength(1);
    expect(s.ui.seen).toHaveLength(0);
  });

  it('stores nothing: getUser(), state.user and storage keep the ID token claims', async () => {
    const s = await signedIn();
    const before = new Map(s.storage.map);
    const idClaims = await s.client.getUser();
    await fetchUserInfo(s.client);
    expect(await s.client.getUser()).toEqual(idClaims);
    expect((await s.client.getUser())?.picture).toBeUndefined();
    expect((s.client.state as { user?: Record<string, unknown> }).user?.picture).toBeUndefined();
    expect(s.storage.map).toEqual(before);
  });

  it('never lets UserInfo replace iss, aud, sub, exp, iat, nonce, auth_time, azp, at_hash or sid; newer values of other claims win', async () => {
    const s = await signedIn({}, { atHash: true });
    const idClaims = (await s.client.getUser()) as Record<string, unknown>;
    expect(idClaims.at_hash).toEqual(expect.any(String));
    s.ui.state.answer = () =>
      json({ sub: 'alice', iss: 'https://evil.test', aud: 'other', exp: 1, iat: 1, nonce: 'n', auth_time: 1, azp: 'other', at_hash: 'x', sid: 'evil-sid', name: 'Renamed', email: 'new@example.test' });
    const user = await fetchUserInfo(s.client);
    for (const claim of ['iss', 'aud', 'sub', 'exp', 'iat', 'nonce', 'at_hash']) expect(user[claim], claim).toEqual(idClaims[claim]);
    // Not in this ID token, and not taken from UserInfo either.
    for (const claim of ['auth_time', 'azp', 'sid']) expect(claim in user, claim).toBe(false);
    expect(user).toMatchObject({ name: 'Renamed', email: 'new@example.test' });
  });

  it('never turns a __proto__ member into a prototype', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => json('{"sub":"alice","__proto__":{"polluted":true,"sub":"mallory"},"constructor":{"prototype":{"polluted":true}},"ok":1}');
    const user = await fetchUserInfo(s.client);
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(user, '__proto__')).toBe(false);
    expect((user as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.assign({}, user).sub).toBe('alice');
    expect(user.ok).toBe(1);
  });

  it('accepts application/json with parameters', async () => {
    const s = await signedIn();
    s.ui.script.push(() => json({ sub: 'alice', a: 1 }, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
    expect((await fetchUserInfo(s.client)).a).toBe(1);
  });

  it('reads a body of exactly 1 MiB', async () => {
    const s = await signedIn();
    const head = '{"sub":"alice","pad":"';
    const body = head + 'x'.repeat((1 << 20) - head.length - 2) + '"}';
    expect(body.length).toBe(1 << 20);
    s.ui.state.answer = () => new Response(new Blob([body]).stream(), { headers: { 'content-type': 'application/json' } });
    expect((await fetchUserInfo(s.client)).pad).toHaveLength((1 << 20) - head.length - 2);
  });
});

describe('UI-01 sub mismatch (OIDC Core §5.3.2)', () => {
  for (const [label, body] of [
    ['another user', { sub: 'mallory', name: 'Mallory' }],
    ['sub missing', { name: 'Nobody' }],
    ['sub 123', { sub: 123, name: 'Number' }],
    ['sub ["alice"]', { sub: ['alice'], name: 'Array' }],
  ] as const) {
    it(`UI-01 ${label}: ProtocolError, nothing merged, getUser() unchanged`, async () => {
      const s = await signedIn();
      const idClaims = await s.client.getUser();
      s.ui.state.answer = () => json(body);
      const error = await failure(fetchUserInfo(s.client));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: 'invalid_token_response' });
      expect(await s.client.getUser()).toEqual(idClaims);
      expect((s.client.state as { user?: Record<string, unknown> }).user?.name).toBe('User alice');
      expect(s.ui.seen).toHaveLength(1);
    });
  }
});

describe('who may ask', () => {
  it('refuses what is not an AuthClient with a ConfigError naming auth', async () => {
    const tokenSource = { getAccessToken: async () => 'at', getUser: async () => ({ sub: 'alice' }) };
    for (const auth of [{}, null, tokenSource]) {
      const error = await failure(fetchUserInfo(auth as never));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ option: 'auth' });
    }
  });

  it('rejects with LoginRequiredError without a session, before any request', async () => {
    const s = await setup();
    const ui = withUserInfo(s.provider, s.provider.fetch);
    const client = s.makeClient({ fetch: ui.fetch });
    expect(await failure(fetchUserInfo(client))).toBeInstanceOf(LoginRequiredError);
    expect(ui.seen).toHaveLength(0);
    expect(s.provider.requests).toHaveLength(0);
  });

  it('rejects with LoginRequiredError when the session ends while UserInfo answers', async () => {
    const s = await signedIn();
    s.ui.state.answer = async () => {
      await s.client.logout();
      return json({ sub: 'alice' });
    };
    expect(await failure(fetchUserInfo(s.client))).toBeInstanceOf(LoginRequiredError);
  });

  it('refuses a provider without userinfo_endpoint: ProtocolError invalid_discovery, no request', async () => {
    const s = await setup();
    await s.signIn();
    const error = await failure(fetchUserInfo(s.client, { fetch: async () => json({ sub: 'alice' }) }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'invalid_discovery' });
  });
});

describe('DPoP-bound sessions (RFC 9449 §7)', () => {
  it('sends Authorization: DPoP with a proof of the session key: htm GET, htu the endpoint, ath of the token', async () => {
    const s = await signedInWithDPoP();
    s.ui.state.answer = () => json({ sub: 'alice', name: 'DPoP Alice' });
    const user = await fetchUserInfo(s.client);
    expect(user.name).toBe('DPoP Alice');
    const token = await s.client.getAccessToken();
    const [seen] = s.ui.seen as [Seen];
    expect(seen.authorization).toBe('DPoP ' + token);
    const header = decodeProtectedHeader(seen.dpop as string);
    const { payload } = await jwtVerify(seen.dpop as string, await importJWK(header.jwk as JWK, 'ES256'), { typ: 'dpop+jwt' });
    expect(payload).toMatchObject({ htm: 'GET', htu: `${s.provider.issuer}/userinfo`, ath: hashOf(token) });
    // The key the tokens are bound to (the code exchange's).
    expect(await calculateJwkThumbprint(header.jwk as JWK)).toBe(s.fake.proofs[0]?.jkt);
  });

  it('answers a use_dpop_nonce challenge once, with the nonce', async () => {
    const s = await signedInWithDPoP();
    s.ui.script.push(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'ui-n1' } }));
    expect((await fetchUserInfo(s.client)).name).toBe('Alice from UserInfo');
    expect(s.ui.seen.map((r) => decodeJwt(r.dpop as string).nonce)).toEqual([undefined, 'ui-n1']);
  });
});

describe('UI-02 bad UserInfo responses (OIDC Core §5.3.2–5.3.3, RFC 6750 §3)', () => {
  it('UI-02 401 invalid_token: one refresh, one retry with the new token, then the answer', async () => {
    const s = await signedIn();
    const first = await s.client.getAccessToken();
    s.ui.script.push(() => challenge('Bearer error="invalid_token"'));
    const user = await fetchUserInfo(s.client);
    expect(user.name).toBe('Alice from UserInfo');
    expect(s.ui.seen).toHaveLength(2);
    expect(s.ui.seen[0]?.authorization).toBe('Bearer ' + first);
    expect(s.ui.seen[1]?.authorization).toBe('Bearer ' + (await s.client.getAccessToken()));
    expect(s.ui.seen[1]?.authorization).not.toBe('Bearer ' + first);
    expect(s.provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('UI-02 401 invalid_token every time: OAuthError invalid_token after one refresh and two UserInfo hits', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => challenge('Bearer realm="op", error="invalid_token", error_description="expired"');
    const error = await failure(fetchUserInfo(s.client));
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: 'invalid_token', description: 'expired' });
    expect(s.ui.seen).toHaveLength(2);
    expect(s.provider.count('/token', 'refresh_token')).toBe(1);
    expect(s.client.state.status).toBe('authenticated');
  });

  it('UI-02 403 insufficient_scope: OAuthError, no refresh', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => challenge('Bearer error="insufficient_scope"', 403);
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'OAuthError', error: 'insufficient_scope' });
    expect(s.ui.seen).toHaveLength(1);
    expect(s.provider.count('/token', 'refresh_token')).toBe(0);
  });

  it('UI-02 401 without an error (or with WWW-Authenticate hidden by CORS): ProtocolError, no refresh', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => new Response('no', { status: 401 });
    const error = await failure(fetchUserInfo(s.client));
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'unexpected_response' });
    expect(s.ui.seen).toHaveLength(1);
    expect(s.provider.count('/token', 'refresh_token')).toBe(0);
  });

  for (const status of [500, 502, 503, 429]) {
    it(`UI-02 ${status}: NetworkError, the session kept`, async () => {
      const s = await signedIn();
      s.ui.state.answer = () => new Response('<h1>down</h1>', { status, headers: { 'content-type': 'text/html' } });
      const error = await failure(fetchUserInfo(s.client));
      expect(error).toBeInstanceOf(NetworkError);
      expect(error).toMatchObject({ code: 'network_error' });
      expect(s.ui.seen).toHaveLength(1);
      expect(s.client.state.status).toBe('authenticated');
    });
  }

  it('UI-02 429 with Retry-After: NetworkError whose retryAt honours it', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => new Response(null, { status: 429, headers: { 'retry-after': '30' } });
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'NetworkError', retryAt: s.clock.now() + 30_000 });
  });

  for (const status of [0, 201, 204, 302, 404]) {
    it(`UI-02 status ${status}: ProtocolError unexpected_response`, async () => {
      const s = await signedIn();
      // Status 0 is what fetch gives a redirect under redirect: 'manual'.
      s.ui.state.answer = () => (status === 0 ? Response.error() : new Response(status === 204 ? null : '{"sub":"alice"}', { status, headers: { 'content-type': 'application/json', location: 'https://evil.test/' } }));
      const error = await failure(fetchUserInfo(s.client));
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: 'unexpected_response' });
    });
  }

  it('UI-02 200 HTML: ProtocolError, the body unread', async () => {
    const s = await signedIn();
    const body = counted('<!doctype html><p>{"sub":"alice"}</p>');
    s.ui.state.answer = () => new Response(body.stream, { headers: { 'content-type': 'text/html' } });
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
    expect(body.pulls()).toBe(0);
  });

  it('UI-02 a JSON body without a content type: ProtocolError', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => new Response(new Blob(['{"sub":"alice"}']).stream());
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
  });

  it('UI-02 application/jwt, alg none or signed: refused (signatures are not verified), nothing merged', async () => {
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const jwt of [`${b64({ alg: 'none' })}.${b64({ sub: 'alice', name: 'Unsigned' })}.`, `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ sub: 'alice', name: 'Signed' })}.c2ln`]) {
      const s = await signedIn();
      const body = counted(jwt);
      s.ui.state.answer = () => new Response(body.stream, { headers: { 'content-type': 'application/jwt' } });
      expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
      expect(body.pulls()).toBe(0);
      expect((await s.client.getUser())?.name).toBe('User alice');
    }
  });

  // Not JSON: unexpected_response. JSON but not an object: no sub, so not the user (invalid_token_response).
  for (const [label, body, code] of [
    ['garbage', '{"sub":"alice",', 'unexpected_response'],
    ['empty', '', 'unexpected_response'],
    ['an array', '[{"sub":"alice"}]', 'invalid_token_response'],
    ['null', 'null', 'invalid_token_response'],
    ['a string', '"alice"', 'invalid_token_response'],
  ]) {
    it(`UI-02 a JSON body that is ${label}: ProtocolError ${code}`, async () => {
      const s = await signedIn();
      s.ui.state.answer = () => json(body as string);
      expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code });
    });
  }

  it('UI-02 a body declared over 1 MiB is refused unread', async () => {
    const s = await signedIn();
    const body = counted('{"sub":"alice"}');
    s.ui.state.answer = () => new Response(body.stream, { headers: { 'content-type': 'application/json', 'content-length': String((1 << 20) + 1) } });
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
    expect(body.pulls()).toBe(0);
  });

  it('UI-02 a 10 MB body without a length: refused once 1 MiB is passed, the rest never read', async () => {
    const s = await signedIn();
    const chunk = new TextEncoder().encode('{"sub":"alice","pad":"' + 'x'.repeat(65_536 - 22));
    let sent = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull: (c) => void ((sent += chunk.length) > 10 * 1024 * 1024 ? c.close() : c.enqueue(chunk)),
        cancel: () => void (cancelled = true),
      },
      { highWaterMark: 0 },
    );
    s.ui.state.answer = () => new Response(body, { headers: { 'content-type': 'application/json' } });
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
    expect(sent).toBeLessThanOrEqual((1 << 20) + 2 * chunk.length);
    expect(cancelled).toBe(true);
  });

  it('UI-02 1 MiB and one byte: refused', async () => {
    const s = await signedIn();
    const head = '{"sub":"alice","pad":"';
    const body = head + 'x'.repeat((1 << 20) - head.length - 1) + '"}';
    s.ui.state.answer = () => new Response(new Blob([body]).stream(), { headers: { 'content-type': 'application/json' } });
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'ProtocolError', code: 'unexpected_response' });
  });

  it('UI-02 the endpoint cannot be reached: NetworkError network_error', async () => {
    const s = await signedIn();
    s.ui.state.answer = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'NetworkError', code: 'network_error' });
  });

  it('UI-02 no answer within requestTimeoutSeconds: NetworkError timeout', async () => {
    const s = await signedIn({ requestTimeoutSeconds: 0.05 });
    s.ui.state.answer = () => new Promise<Response>(() => undefined);
    const started = Date.now();
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'NetworkError', code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('UI-02 a body that stops coming: NetworkError timeout once the deadline passes', async () => {
    const s = await signedIn({ requestTimeoutSeconds: 0.05 });
    s.ui.state.answer = (request) => {
      // As a browser's fetch does: the request's signal errors the body stream it is reading.
      const body = new ReadableStream<Uint8Array>({
        start: (c) => {
          c.enqueue(new TextEncoder().encode('{"sub":"alice",'));
          request.signal.addEventListener('abort', () => c.error(request.signal.reason), { once: true });
        },
      });
      return new Response(body, { headers: { 'content-type': 'application/json' } });
    };
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'NetworkError', code: 'timeout' });
  });

  it('UI-02 one deadline for the call, retries included: NetworkError timeout when both answers together are too slow', async () => {
    const s = await signedIn({ requestTimeoutSeconds: 0.2 });
    s.ui.script.push(async () => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      return challenge('Bearer error="invalid_token"');
    });
    s.ui.state.answer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 120));
      return json({ sub: 'alice', name: 'Late' });
    };
    expect(await failure(fetchUserInfo(s.client))).toMatchObject({ name: 'NetworkError', code: 'timeout' });
    expect(s.ui.seen).toHaveLength(2);
    expect(s.provider.count('/token', 'refresh_token')).toBe(1);
  });
});
