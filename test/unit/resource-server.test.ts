// @vitest-environment node
// The DPoP test infrastructure (RFC 9449) against the real oidc-provider, without a browser: the
// resource server of test/support/resource-server.mjs accepts a DPoP-bound access token only with a
// proof that passes every check of RFC 9449 section 4.3 (and its nonce, section 9), and the provider
// configured by test/support/dpop-provider.mjs issues such tokens and binds refresh tokens to the key.
// Tokens come from a real code login (test/support/dpop-login.mjs); the proofs the resource-server
// tests send are built here by hand, so each breaks exactly one rule.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProvider } from '../../demo/provider.mjs';
import { CookieJar } from '../support/fetch-login.mjs';
import { authorize, discover, dpopLogin, exchangeCode, refreshRequest } from '../support/dpop-login.mjs';
import { dpopProviderConfig } from '../support/dpop-provider.mjs';
import { startResourceServer, type ResourceServer } from '../support/resource-server.mjs';

const appOrigin = 'http://localhost:5999';
const redirectUri = `${appOrigin}/cb`;
const insecure = { [oauth.allowInsecureRequests]: true };

type Provider = Awaited<ReturnType<typeof startProvider>>;
type Session = Awaited<ReturnType<typeof dpopLogin>>;

let op: Provider;
/** Nonces required: for the provider facts about nonces. */
let opNonce: Provider;
/** Answers without a nonce: each proof check is seen on its own. */
let rs: ResourceServer;
/** Demands its nonce. */
let rsNonce: ResourceServer;
/** Also takes tokens that are not DPoP-bound, as Bearer. */
let rsBearer: ResourceServer;
let session: Session;
let otherKey: CryptoKeyPair;
/** A Bearer token of `plain-spa`, a client that does not ask for DPoP. */
let unboundToken: string;
/** `grant.error` and `pushed_authorization_request.error` of `op` and `opNonce`: the details the token endpoint hides. */
const providerErrors: { error: string; detail: string | undefined; description: string }[] = [];

beforeAll(async () => {
  const plainClient = {
    client_id: 'plain-spa',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [redirectUri],
  };
  op = await startProvider({
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [],
    clients: [plainClient],
    configure: (config) => dpopProviderConfig(config, { requireDPoP: true }),
  });
  opNonce = await startProvider({
    redirectUris: [redirectUri],
    postLogoutRedirectUris: [],
    configure: (config) => dpopProviderConfig(config, { requireDPoP: true, requireNonce: true }),
  });
  for (const provider of [op.provider, opNonce.provider]) {
    for (const event of ['grant.error', 'pushed_authorization_request.error']) {
      provider.on(event, (_ctx: unknown, error: { error: string; error_description: string; error_detail?: string }) =>
        providerErrors.push({ error: error.error, description: error.error_description, detail: error.error_detail }),
      );
    }
  }
  rs = await startResourceServer({ provider: op.provider, issuer: op.issuer, requireNonce: false, allowOrigin: appOrigin });
  rsNonce = await startResourceServer({ provider: op.provider, issuer: op.issuer, requireNonce: true, allowOrigin: appOrigin, host: 'localhost' });
  rsBearer = await startResourceServer({ provider: op.provider, issuer: op.issuer, requireNonce: false, acceptBearer: true });
  session = await dpopLogin({ issuer: op.issuer, redirectUri, user: 'alice' });
  otherKey = await oauth.generateKeyPair('ES256');

  const code = await authorize({ issuer: op.issuer, redirectUri, clientId: 'plain-spa', user: 'bob' });
  const plain = await oauth.processAuthorizationCodeResponse(code.as, code.client, await exchangeCode(code));
  unboundToken = plain.access_token;
});

afterAll(async () => {
  await Promise.all([rs?.close(), rsNonce?.close(), rsBearer?.close()]);
  await Promise.all([op?.close(), opNonce?.close()]);
});

const now = () => Math.floor(Date.now() / 1000);
const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

interface ProofOptions {
  key?: CryptoKeyPair;
  /** The `jwk` header; default: the public key of `key`. */
  jwk?: JWK;
  htm?: string;
  htu?: string;
  /** `null`: no ath. Default: the hash of the session's access token. */
  ath?: string | null;
  iat?: number;
  jti?: string;
  nonce?: string;
  typ?: string;
}

/** A DPoP proof for `GET rs/api/me` by the session's key, with any member changed. */
async function proof(server: ResourceServer, options: ProofOptions = {}) {
  const key = options.key ?? session.keyPair;
  const jwk = options.jwk ?? (await exportJWK(key.publicKey));
  const payload: Record<string, unknown> = {
    htm: options.htm ?? 'GET',
    htu: options.htu ?? server.url('/api/me'),
    iat: options.iat ?? now(),
    jti: options.jti ?? randomUUID(),
  };
  const ath = options.ath === undefined ? hash(session.tokens.access_token) : options.ath;
  if (ath !== null) payload.ath = ath;
  if (options.nonce !== undefined) payload.nonce = options.nonce;
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: options.typ ?? 'dpop+jwt', jwk }).sign(key.privateKey);
}

interface Call {
  path?: string;
  method?: string;
  scheme?: string;
  token?: string;
  dpop?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request to the resource server; the answer with its challenge and nonce. */
async function call(server: ResourceServer, { path = '/api/me', method = 'GET', scheme = 'DPoP', token = session.tokens.access_token, dpop, body, headers = {} }: Call = {}) {
  const response = await fetch(server.url(path), {
    method,
    headers: {
      ...(token ? { authorization: `${scheme} ${token}` } : {}),
      ...(dpop ? { dpop } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    www: response.headers.get('www-authenticate'),
    nonce: response.headers.get('dpop-nonce'),
    headers: response.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    entry: server.log.at(-1),
  };
}

/** The `error` of a `DPoP` challenge, checking the scheme is DPoP. */
function dpopError(www: string | null) {
  expect(www).toMatch(/^DPoP /);
  return /error="([^"]*)"/.exec(www ?? '')?.[1];
}

describe('the tokens the DPoP provider issues', () => {
  it('are DPoP-bound to the login key, access and refresh token alike', async () => {
    expect(session.tokens.token_type).toBe('dpop');
    const thumbprint = await calculateJwkThumbprint(await exportJWK(session.keyPair.publicKey));
    const accessToken = await op.provider.AccessToken.find(session.tokens.access_token);
    expect(accessToken?.jkt).toBe(thumbprint);
    expect(accessToken?.accountId).toBe('alice');
    const refreshToken = await op.provider.RefreshToken.find(session.tokens.refresh_token);
    expect(refreshToken?.jkt).toBe(thumbprint);
    // The client that does not ask for DPoP gets a plain Bearer token.
    expect((await op.provider.AccessToken.find(unboundToken))?.jkt).toBeUndefined();
  });
});

describe('the resource server', () => {
  it('accepts a good proof, and so does oauth4webapi as a real client', async () => {
    const answer = await call(rs, { dpop: await proof(rs) });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ sub: 'alice', scheme: 'DPoP' });
    expect(answer.entry).toMatchObject({ method: 'GET', path: '/api/me', scheme: 'DPoP', status: 200, reason: 'ok', scripted: false });
    expect(answer.entry?.proofHeader).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });

    const response = await oauth.protectedResourceRequest(session.tokens.access_token, 'GET', new URL(rs.url('/api/me')), new Headers(), null, {
      DPoP: session.dpop,
      ...insecure,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'alice', scheme: 'DPoP' });
  });

  it('echoes a JSON body on POST /api/echo, and logs it', async () => {
    const body = { hello: 'world', n: 1 };
    const answer = await call(rs, { path: '/api/echo', method: 'POST', body, dpop: await proof(rs, { htm: 'POST', htu: rs.url('/api/echo') }) });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ sub: 'alice', scheme: 'DPoP', body });
    expect(answer.entry?.body).toBe(JSON.stringify(body));
  });

  it('accepts the scheme in any case: `dpop`, `DPOP`', async () => {
    for (const scheme of ['dpop', 'DPOP']) {
      const answer = await call(rs, { scheme, dpop: await proof(rs) });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ sub: 'alice', scheme });
    }
  });

  it('refuses a proof whose jti it has seen, even re-signed', async () => {
    const jti = randomUUID();
    const first = await proof(rs, { jti });
    expect((await call(rs, { dpop: first })).status).toBe(200);
    expect(rs.jtis.has(jti)).toBe(true);

    const replay = await call(rs, { dpop: first });
    expect(replay.status).toBe(401);
    expect(dpopError(replay.www)).toBe('invalid_dpop_proof');
    expect(replay.entry?.reason).toMatch(/used before/);

    const resigned = await call(rs, { dpop: await proof(rs, { jti, iat: now() - 1 }) });
    expect(resigned.status).toBe(401);
    expect(resigned.entry?.reason).toMatch(/used before/);
  });

  it('refuses a proof for another URL (htu), but ignores its query and fragment', async () => {
    const otherPath = await call(rs, { dpop: await proof(rs, { htu: rs.url('/api/echo') }) });
    expect(otherPath.status).toBe(401);
    expect(dpopError(otherPath.www)).toBe('invalid_dpop_proof');
    expect(otherPath.entry?.reason).toMatch(/^htu /);

    // Same server, another host name: another URL.
    const otherHost = await call(rs, { dpop: await proof(rs, { htu: rs.url('/api/me').replace('127.0.0.1', 'localhost') }) });
    expect(otherHost.status).toBe(401);
    expect(otherHost.entry?.reason).toMatch(/^htu /);

    const withQuery = await call(rs, { dpop: await proof(rs, { htu: `${rs.url('/api/me')}?x=1#frag` }) });
    expect(withQuery.status).toBe(200);
  });

  it('refuses a proof for another method (htm)', async () => {
    const answer = await call(rs, { dpop: await proof(rs, { htm: 'POST' }) });
    expect(answer.status).toBe(401);
    expect(dpopError(answer.www)).toBe('invalid_dpop_proof');
    expect(answer.entry?.reason).toMatch(/^htm POST is not GET/);
  });

  it('refuses a proof without ath, or with the hash of another token', async () => {
    const missing = await call(rs, { dpop: await proof(rs, { ath: null }) });
    expect(missing.status).toBe(401);
    expect(dpopError(missing.www)).toBe('invalid_dpop_proof');
    expect(missing.entry?.reason).toBe('no ath');

    const wrong = await call(rs, { dpop: await proof(rs, { ath: hash(unboundToken) }) });
    expect(wrong.status).toBe(401);
    expect(dpopError(wrong.www)).toBe('invalid_dpop_proof');
    expect(wrong.entry?.reason).toMatch(/^ath /);
  });

  it('refuses a proof issued more than 60 s ago or ahead, and takes one 30 s old', async () => {
    for (const iat of [now() - 120, now() + 120]) {
      const answer = await call(rs, { dpop: await proof(rs, { iat }) });
      expect(answer.status).toBe(401);
      expect(dpopError(answer.www)).toBe('invalid_dpop_proof');
      expect(answer.entry?.reason).toMatch(/^iat /);
    }
    expect((await call(rs, { dpop: await proof(rs, { iat: now() - 30 }) })).status).toBe(200);
  });

  it('refuses a proof by another key than the token is bound to, and a proof whose signature is not by its jwk', async () => {
    const other = await call(rs, { dpop: await proof(rs, { key: otherKey }) });
    expect(other.status).toBe(401);
    expect(dpopError(other.www)).toBe('invalid_dpop_proof');
    expect(other.entry?.reason).toMatch(/is not the key the token is bound to/);

    // The bound key in the header, signed by another one.
    const forged = await call(rs, { dpop: await proof(rs, { key: otherKey, jwk: await exportJWK(session.keyPair.publicKey) }) });
    expect(forged.status).toBe(401);
    expect(dpopError(forged.www)).toBe('invalid_dpop_proof');
    expect(forged.entry?.reason).toMatch(/does not verify/);
  });

  it('refuses a proof that is not typed dpop+jwt, or that carries a private key', async () => {
    const untyped = await call(rs, { dpop: await proof(rs, { typ: 'JWT' }) });
    expect(untyped.status).toBe(401);
    expect(untyped.entry?.reason).toMatch(/^typ is JWT/);

    const extractable = await oauth.generateKeyPair('ES256', { extractable: true });
    const leaky = await call(rs, { dpop: await proof(rs, { key: extractable, jwk: await exportJWK(extractable.privateKey) }) });
    expect(leaky.status).toBe(401);
    expect(dpopError(leaky.www)).toBe('invalid_dpop_proof');
    expect(leaky.entry?.reason).toMatch(/private member d/);

    const none = await call(rs, { dpop: 'not-a-jwt' });
    expect(none.status).toBe(401);
    expect(dpopError(none.www)).toBe('invalid_dpop_proof');
  });

  it('refuses a DPoP-bound token without a proof', async () => {
    const answer = await call(rs, {});
    expect(answer.status).toBe(401);
    expect(dpopError(answer.www)).toBe('invalid_dpop_proof');
    expect(answer.entry?.reason).toBe('no DPoP proof');
  });

  it('never takes a DPoP-bound token as a Bearer token, with or without a proof, even where Bearer is accepted', async () => {
    for (const server of [rs, rsBearer]) {
      for (const dpop of [undefined, await proof(server)]) {
        const answer = await call(server, { scheme: 'Bearer', ...(dpop ? { dpop } : {}) });
        expect(answer.status).toBe(401);
        expect(dpopError(answer.www)).toBe('invalid_token');
        expect(answer.entry?.reason).toMatch(/presented as a Bearer token/);
      }
    }
  });

  it('takes a token that is not DPoP-bound as Bearer only when started with acceptBearer, and never with the DPoP scheme', async () => {
    const refused = await call(rs, { scheme: 'Bearer', token: unboundToken });
    expect(refused.status).toBe(401);
    expect(dpopError(refused.www)).toBe('invalid_token');

    const accepted = await call(rsBearer, { scheme: 'Bearer', token: unboundToken });
    expect(accepted.status).toBe(200);
    expect(accepted.json).toEqual({ sub: 'bob', scheme: 'Bearer' });

    const asDpop = await call(rsBearer, { token: unboundToken, dpop: await proof(rsBearer, { ath: hash(unboundToken) }) });
    expect(asDpop.status).toBe(401);
    expect(dpopError(asDpop.www)).toBe('invalid_token');
    expect(asDpop.entry?.reason).toBe('the access token is not DPoP-bound');
  });

  it('refuses unknown and expired tokens as invalid_token, and challenges a request without a token', async () => {
    const unknown = await call(rs, { token: 'no-such-token', dpop: await proof(rs, { ath: hash('no-such-token') }) });
    expect(unknown.status).toBe(401);
    expect(dpopError(unknown.www)).toBe('invalid_token');
    expect(unknown.entry?.reason).toBe('the access token is unknown');

    // A bound token of the same grant that lives two seconds.
    const stored = await op.provider.AccessToken.find(session.tokens.access_token);
    const client = await op.provider.Client.find('demo-spa');
    const shortLived = new op.provider.AccessToken({ accountId: 'alice', client, grantId: stored.grantId, scope: 'openid', expiresIn: 2 });
    shortLived.jkt = stored.jkt;
    const value: string = await shortLived.save();
    expect((await call(rs, { token: value, dpop: await proof(rs, { ath: hash(value) }) })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const expired = await call(rs, { token: value, dpop: await proof(rs, { ath: hash(value) }) });
    expect(expired.status).toBe(401);
    expect(dpopError(expired.www)).toBe('invalid_token');
    expect(expired.entry?.reason).toMatch(/expired|unknown/);

    const anonymous = await call(rs, { token: '' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.www).toMatch(/^DPoP algs="[^"]*ES256/);
    expect(anonymous.www).not.toMatch(/error=/);
  });

  describe('with a nonce', () => {
    it('demands its nonce once, then accepts the proof that carries it', async () => {
      const first = await call(rsNonce, { dpop: await proof(rsNonce) });
      expect(first.status).toBe(401);
      expect(dpopError(first.www)).toBe('use_dpop_nonce');
      expect(first.www).toMatch(/error_description="[^"]+"/);
      expect(first.nonce).toBe(rsNonce.nonce);

      const second = await call(rsNonce, { dpop: await proof(rsNonce, { nonce: first.nonce ?? '' }) });
      expect(second.status).toBe(200);
      expect(second.json).toEqual({ sub: 'alice', scheme: 'DPoP' });
      // No new nonce on success unless asked (nonceOnSuccess).
      expect(second.nonce).toBeNull();
    });

    it('checks the proof before the nonce: a bad proof without a nonce is invalid_dpop_proof', async () => {
      const answer = await call(rsNonce, { dpop: await proof(rsNonce, { htm: 'POST' }) });
      expect(answer.status).toBe(401);
      expect(dpopError(answer.www)).toBe('invalid_dpop_proof');
      expect(answer.nonce).toBeNull();
    });

    it('works with oauth4webapi: one use_dpop_nonce, then the retry with the nonce passes', async () => {
      const dpop = oauth.DPoP(session.client, session.keyPair);
      const before = rsNonce.log.length;
      const request = () =>
        oauth.protectedResourceRequest(session.tokens.access_token, 'GET', new URL(rsNonce.url('/api/me')), new Headers(), null, { DPoP: dpop, ...insecure });
      const firstError = await request().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(oauth.isDPoPNonceError(firstError)).toBe(true);
      const response = await request();
      expect(response.status).toBe(200);
      const entries = rsNonce.log.slice(before);
      expect(entries.map((entry) => [entry.status, entry.error])).toEqual([
        [401, 'use_dpop_nonce'],
        [200, undefined],
      ]);
      expect(entries[0]?.proofPayload?.nonce).toBeUndefined();
      expect(entries[1]?.proofPayload?.nonce).toBe(rsNonce.nonce);
    });

    it('refuses the previous nonce after rotateNonce, handing out the new one', async () => {
      const old = rsNonce.nonce;
      expect((await call(rsNonce, { dpop: await proof(rsNonce, { nonce: old }) })).status).toBe(200);
      const fresh = rsNonce.rotateNonce();
      expect(fresh).not.toBe(old);
      expect(rsNonce.nonces.slice(-2)).toEqual([old, fresh]);

      const stale = await call(rsNonce, { dpop: await proof(rsNonce, { nonce: old }) });
      expect(stale.status).toBe(401);
      expect(dpopError(stale.www)).toBe('use_dpop_nonce');
      expect(stale.nonce).toBe(fresh);
      expect((await call(rsNonce, { dpop: await proof(rsNonce, { nonce: fresh }) })).status).toBe(200);

      const made_up = await call(rsNonce, { dpop: await proof(rsNonce, { nonce: 'made-up' }) });
      expect(dpopError(made_up.www)).toBe('use_dpop_nonce');
    });

    it('replays a POST body on the retry with the nonce (what a client must do), and logs both bodies', async () => {
      const body = { replay: true };
      const htu = rsNonce.url('/api/echo');
      const first = await call(rsNonce, { path: '/api/echo', method: 'POST', body, dpop: await proof(rsNonce, { htm: 'POST', htu }) });
      expect(first.status).toBe(401);
      const second = await call(rsNonce, { path: '/api/echo', method: 'POST', body, dpop: await proof(rsNonce, { htm: 'POST', htu, nonce: first.nonce ?? '' }) });
      expect(second.status).toBe(200);
      expect(second.json?.body).toEqual(body);
      expect(rsNonce.log.slice(-2).map((entry) => entry.body)).toEqual([JSON.stringify(body), JSON.stringify(body)]);
    });
  });

  describe('scripted answers', () => {
    it('answers the next request as scripted (a lower-case dpop challenge), then goes back to its checks', async () => {
      let seen: { verdict: { status: number; reason: string } } | undefined;
      rs.respondNext((request) => {
        seen = request;
        return { status: 401, headers: { 'WWW-Authenticate': 'dpop error="use_dpop_nonce"', 'DPoP-Nonce': 'scripted-nonce' } };
      });
      expect(rs.pendingScripts).toBe(1);
      const scripted = await call(rs, { dpop: await proof(rs) });
      expect(scripted.status).toBe(401);
      expect(scripted.www).toBe('dpop error="use_dpop_nonce"');
      expect(scripted.nonce).toBe('scripted-nonce');
      expect(scripted.entry).toMatchObject({ scripted: true, status: 401, error: 'use_dpop_nonce' });
      // The script was shown what the checks decided: this proof was good.
      expect(seen?.verdict).toMatchObject({ status: 200, reason: 'ok' });
      expect(rs.pendingScripts).toBe(0);

      expect((await call(rs, { dpop: await proof(rs) })).status).toBe(200);
    });

    it('queues scripts in order, and a script may keep the verdict by answering undefined', async () => {
      rs.respondNext(() => undefined);
      rs.respondNext(() => ({ status: 401, headers: { 'WWW-Authenticate': 'DPoP error="invalid_token"' }, json: { error: 'invalid_token' } }));
      const kept = await call(rs, { dpop: await proof(rs) });
      expect(kept.status).toBe(200);
      expect(kept.entry?.scripted).toBe(false);
      const invalid = await call(rs, { dpop: await proof(rs) });
      expect(invalid.status).toBe(401);
      expect(dpopError(invalid.www)).toBe('invalid_token');
      expect(invalid.json).toEqual({ error: 'invalid_token' });
    });
  });

  describe('CORS', () => {
    it('answers the preflight of the app origin for authorization, dpop and content-type', async () => {
      const response = await fetch(rs.url('/api/echo'), {
        method: 'OPTIONS',
        headers: { origin: appOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,dpop,content-type' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(appOrigin);
      expect(response.headers.get('access-control-allow-headers')?.split(/, */).sort()).toEqual(['authorization', 'content-type', 'dpop']);
      expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(rs.log.at(-1)).toMatchObject({ method: 'OPTIONS', status: 204 });
    });

    it('refuses the preflight of another origin, and exposes WWW-Authenticate and DPoP-Nonce to the app', async () => {
      const refused = await fetch(rs.url('/api/me'), {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,dpop' },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();

      const answer = await call(rsNonce, { dpop: await proof(rsNonce), headers: { origin: appOrigin } });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('access-control-allow-origin')).toBe(appOrigin);
      expect(answer.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate, DPoP-Nonce');
      const foreign = await call(rsNonce, { dpop: await proof(rsNonce), headers: { origin: 'http://evil.example' } });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

describe('oidc-provider with dpopProviderConfig', () => {
  const lastError = () => providerErrors.at(-1);

  it('refuses a token request without a proof: invalid_grant (its detail: "DPoP proof JWT not provided")', async () => {
    const code = await authorize({ issuer: op.issuer, redirectUri });
    const response = await exchangeCode(code);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(lastError()).toMatchObject({ error: 'invalid_grant', detail: 'DPoP proof JWT not provided' });
  });

  it('refuses a proof by another key than the code is bound to (dpop_jkt, or a proof at PAR)', async () => {
    for (const par of [false, true]) {
      const dpop = oauth.DPoP(session.client, session.keyPair);
      const code = await authorize({ issuer: op.issuer, redirectUri, dpop, par });
      const response = await exchangeCode(code, { DPoP: oauth.DPoP(session.client, otherKey) });
      expect(response.status).toBe(400);
      expect((await response.json()).error).toBe('invalid_grant');
      expect(lastError()).toMatchObject({ error: 'invalid_grant', detail: 'DPoP proof key thumbprint does not match dpop_jkt' });
    }
  });

  it('checks dpop_jkt against the proof at the PAR endpoint', async () => {
    const as = await discover(op.issuer);
    const params = {
      client_id: 'demo-spa',
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'openid',
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
    };
    const mismatch = await oauth.pushedAuthorizationRequest(as, session.client, oauth.None(), { ...params, dpop_jkt: await oauth.DPoP(session.client, otherKey).calculateThumbprint() }, {
      DPoP: oauth.DPoP(session.client, session.keyPair),
      ...insecure,
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ error: 'invalid_request', error_description: 'DPoP proof key thumbprint does not match dpop_jkt' });
  });

  it('binds the refresh token of the public client to the key: another key or none is invalid_grant, the key refreshes (rotated)', async () => {
    const login = await dpopLogin({ issuer: op.issuer, redirectUri });
    const refreshToken = login.tokens.refresh_token ?? '';
    expect(refreshToken).not.toBe('');
    const withoutProof = await refreshRequest(login, refreshToken);
    expect(withoutProof.status).toBe(400);
    expect(lastError()).toMatchObject({ error: 'invalid_grant', detail: 'DPoP proof JWT not provided' });

    const otherKeyResponse = await refreshRequest(login, refreshToken, { DPoP: oauth.DPoP(login.client, otherKey) });
    expect(otherKeyResponse.status).toBe(400);
    expect((await otherKeyResponse.json()).error).toBe('invalid_grant');
    expect(lastError()).toMatchObject({ error: 'invalid_grant', detail: 'failed jkt verification' });

    const refreshed = await oauth.processRefreshTokenResponse(login.as, login.client, await refreshRequest(login, refreshToken, { DPoP: login.dpop }));
    expect(refreshed.token_type).toBe('dpop');
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(refreshToken);
    const thumbprint = await login.dpop.calculateThumbprint();
    expect((await op.provider.AccessToken.find(refreshed.access_token))?.jkt).toBe(thumbprint);
    expect((await op.provider.RefreshToken.find(refreshed.refresh_token ?? ''))?.jkt).toBe(thumbprint);
  });

  it('with requireNonce: a proof without the nonce gets 400 use_dpop_nonce and a DPoP-Nonce header, exposed by CORS', async () => {
    const code = await authorize({ issuer: opNonce.issuer, redirectUri });
    const dpop = oauth.DPoP(session.client, session.keyPair);
    const first = await exchangeCode(code, { DPoP: dpop });
    expect(first.status).toBe(400);
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[\w-]{20,}$/);
    expect(first.headers.get('access-control-expose-headers')).toMatch(/DPoP-Nonce/);
    expect(await first.json()).toEqual({ error: 'use_dpop_nonce', error_description: 'nonce is required in the DPoP proof' });
    // The handle has kept the nonce: the retry passes.
    const tokens = await oauth.processAuthorizationCodeResponse(code.as, code.client, await exchangeCode(code, { DPoP: dpop }));
    expect(tokens.token_type).toBe('dpop');
    // The whole login, nonce round trips included.
    const login = await dpopLogin({ issuer: opNonce.issuer, redirectUri, par: true, bindCode: true, jar: new CookieJar() });
    expect(login.tokens.token_type).toBe('dpop');
  });

  it('allows the DPoP header in the preflight of the token and PAR endpoints; DPoP-Nonce is exposed only with a nonce secret', async () => {
    for (const path of ['/token', '/request']) {
      const response = await fetch(`${op.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { origin: appOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,dpop' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-headers')).toBe('content-type,dpop');
      expect(response.headers.get('access-control-allow-origin')).toBe(appOrigin);
    }
    const post = (issuer: string) =>
      fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { origin: appOrigin, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token&client_id=demo-spa&refresh_token=unknown',
      });
    const withoutSecret = await post(op.issuer);
    expect(withoutSecret.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
    const withSecret = await post(opNonce.issuer);
    expect(withSecret.headers.get('access-control-expose-headers')).toBe('DPoP-Nonce,WWW-Authenticate');
  });

  it('reports the options it set in discovery: DPoP algorithms and the PAR endpoint', async () => {
    const as = await discover(op.issuer);
    expect(as.dpop_signing_alg_values_supported).toEqual(['ES256', 'Ed25519', 'EdDSA']);
    expect(as.pushed_authorization_request_endpoint).toBe(`${op.issuer}/request`);
  });
});

describe('dpopProviderConfig with requirePar', () => {
  it('makes the demo client push its authorization requests', async () => {
    const par = await startProvider({ redirectUris: [redirectUri], postLogoutRedirectUris: [], configure: (config) => dpopProviderConfig(config, { requirePar: true }) });
    try {
      const direct = await authorize({ issuer: par.issuer, redirectUri }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(direct).toBeInstanceOf(oauth.AuthorizationResponseError);
      const { error, error_description } = direct as oauth.AuthorizationResponseError;
      expect({ error, error_description }).toEqual({ error: 'invalid_request', error_description: 'Pushed Authorization Request must be used' });
      const login = await dpopLogin({ issuer: par.issuer, redirectUri, par: true });
      expect(login.tokens.token_type).toBe('dpop');
    } finally {
      await par.close();
    }
  });
});
