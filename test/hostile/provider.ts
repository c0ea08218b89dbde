import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A hostile OpenID provider for the security suite. It behaves correctly by default (PKCE, single-use
 * codes, exact redirect URIs, rotating refresh tokens with reuse detection, RS256 or ES256 ID tokens),
 * so the suite can show that the SDK accepts a good response; each test then breaks one thing through
 * `scenario`. Every request is logged, and every token it issues is remembered for storage scans.
 */

/** A raw HTTP answer a scenario can return instead of the normal one. */
export interface RawResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Reset the connection without answering. */
  destroy?: boolean;
  /** Never answer. */
  hang?: boolean;
  /** Send headers, then one byte every 200 ms, forever. */
  trickle?: boolean;
}

export interface TokenContext {
  grant: string | null;
  body: URLSearchParams;
  /** The correct answer, as JSON, for the scenario to alter or replace. */
  normal: () => Promise<{ status: number; json: Record<string, unknown> }>;
}

export interface Scenario {
  metadata?: (metadata: Record<string, unknown>) => Record<string, unknown>;
  /** Replaces the authorization endpoint's answer (e.g. hold the request, answer an error). */
  authorize?: (params: URLSearchParams) => RawResponse | undefined;
  /** Rewrites the callback URL the provider redirects to (state, iss, error, fragment, ...). */
  callback?: (url: URL, params: URLSearchParams) => string;
  /** Skip the PKCE check at the token endpoint, as a lax provider would. */
  ignorePkce?: boolean;
  /** Send an ID token with refresh responses too (OIDC Core §12.2), built like the login's. */
  refreshIdToken?: boolean;
  /** Alters the claims of every ID token. */
  idTokenClaims?: (claims: Record<string, unknown>, grant: string) => Record<string, unknown>;
  /** How ID tokens are signed. */
  signing?: 'RS256' | 'ES256' | 'none' | 'None' | 'HS256-public-key' | 'HS256-empty' | 'corrupt' | 'unrelated-key';
  /** Alters the token response JSON. */
  tokenJson?: (json: Record<string, unknown>, grant: string | null) => Record<string, unknown> | unknown;
  /** Replaces the token endpoint's answer. */
  token?: (context: TokenContext) => Promise<RawResponse | undefined> | RawResponse | undefined;
  /** Replaces the end-session endpoint's answer. */
  endSession?: (params: URLSearchParams) => RawResponse | undefined;
  /** Redirect after logout to any post_logout_redirect_uri, registered or not (a lax provider). */
  laxLogout?: boolean;
  /**
   * Refuse the app's origin at the token endpoint, as an edge CORS policy would: no CORS headers and
   * the request not processed, so the browser reports a network error and the grant is untouched.
   */
  noCors?: boolean;
  /** Put an `at_hash` in ID tokens: the correct one, or one for another access token. */
  atHash?: 'correct' | 'wrong';
  /** The user who signs in. */
  sub?: string;
  /**
   * DPoP nonces at the token endpoint (RFC 9449 §8): `'demand'`, a proof must carry the nonce `n1`
   * (else 400 use_dpop_nonce with `DPoP-Nonce: n1`); `'rotate'`, every request is answered so, with a
   * new nonce (`n1`, `n2`, …) each time.
   */
  dpopNonce?: 'demand' | 'rotate';
  /**
   * Replaces the UserInfo endpoint's answer (OIDC Core §5.3). `normal` is the correct claims of the
   * token's user (none for an unknown token); `hit` counts this endpoint's requests from 1.
   */
  userinfo?: (context: { token: string | undefined; normal: Record<string, unknown> | undefined; hit: number }) => RawResponse | undefined;
}

export interface Hit {
  endpoint: string;
  method: string;
  url: string;
  body?: URLSearchParams;
  /** When it came (epoch ms). */
  at: number;
  /** The request's `DPoP` header (RFC 9449), as sent. */
  dpop?: string;
  /** The thumbprint of the key that signed a verified proof. */
  dpopJkt?: string;
  /** Why the proof was refused as invalid (or, at /revoke, would have been). */
  dpopError?: string;
  /** The nonce demanded in the answer (400 use_dpop_nonce). */
  dpopNonce?: string;
  /**
   * The provider is done with it: its proof checked, its answer sent (or withheld by the scenario).
   * A hit is logged on arrival, before the awaited checks fill in the `dpop…` fields above.
   */
  handled?: true;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  method: string | null;
  nonce: string | null;
  sub: string;
  authTime: number;
  /** The authorization request's `dpop_jkt`: the code may be spent only with a proof of that key. */
  dpopJkt: string | null;
}

const keys = (async () => {
  const rs = await generateKeyPair('RS256', { extractable: true });
  const es = await generateKeyPair('ES256', { extractable: true });
  const unrelated = await generateKeyPair('RS256', { extractable: true });
  const jwk = async (key: CryptoKey, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg, use: 'sig' });
  return {
    rs: rs.privateKey as CryptoKey,
    es: es.privateKey as CryptoKey,
    unrelated: unrelated.privateKey as CryptoKey,
    rsPublicPem: createPublicKey({ key: (await exportJWK(rs.publicKey)) as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string,
    jwks: { keys: [await jwk(rs.publicKey as CryptoKey, 'rs1', 'RS256'), await jwk(es.publicKey as CryptoKey, 'es1', 'ES256')] },
  };
})();

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const random = () => randomBytes(24).toString('base64url');

export class HostileProvider {
  scenario: Scenario = {};
  hits: Hit[] = [];
  /** Every token this provider issued since the last reset. */
  issued: string[] = [];
  readonly #codes = new Map<string, CodeGrant>();
  readonly #refreshTokens = new Map<string, { sub: string; family: string; used: boolean; jkt?: string }>();
  readonly revokedFamilies = new Set<string>();
  /** Every access token issued, with the thumbprint of the DPoP key it is bound to (none: Bearer), for rs.test. */
  readonly accessTokens = new Map<string, { sub: string; jkt?: string }>();
  /** Every `jti` of a verified DPoP proof: none is accepted twice. */
  readonly #jtis = new Set<string>();
  #nonces = 0;

  constructor(
    readonly issuer: string,
    readonly clientId: string,
    readonly appOrigin: string,
  ) {}

  /** Forgets the scenario, the log and every grant: each test starts from a correct provider. */
  reset(): void {
    this.scenario = {};
    this.hits = [];
    this.issued = [];
    this.#codes.clear();
    this.#refreshTokens.clear();
    this.revokedFamilies.clear();
    this.accessTokens.clear();
    this.#jtis.clear();
    this.#nonces = 0;
  }

  count(endpoint: string, grant?: string): number {
    return this.hits.filter((h) => h.endpoint === endpoint && (grant === undefined || h.body?.get('grant_type') === grant)).length;
  }

  /**
   * The requests to `endpoint` the provider is done with. Poll this, not {@link count}, before reading
   * what the checks noted on a request the page did not wait for (a revocation at logout).
   */
  handledHits(endpoint: string): Hit[] {
    return this.hits.filter((h) => h.endpoint === endpoint && h.handled);
  }

  /** Issues a code for a user at this provider, as if they had signed in (used to forge injections). */
  mintCode(params: URLSearchParams, sub = 'attacker'): string {
    const code = random();
    this.#codes.set(code, {
      clientId: params.get('client_id') ?? '',
      redirectUri: params.get('redirect_uri') ?? '',
      challenge: params.get('code_challenge'),
      method: params.get('code_challenge_method'),
      nonce: params.get('nonce'),
      sub,
      authTime: Math.floor(Date.now() / 1000),
      dpopJkt: params.get('dpop_jkt'),
    });
    return code;
  }

  metadata(): Record<string, unknown> {
    const m = {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      jwks_uri: `${this.issuer}/jwks`,
      userinfo_endpoint: `${this.issuer}/userinfo`,
      revocation_endpoint: `${this.issuer}/revoke`,
      end_session_endpoint: `${this.issuer}/end-session`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      token_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
      dpop_signing_alg_values_supported: ['ES256'],
    };
    return this.scenario.metadata ? this.scenario.metadata(m) : m;
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const endpoint = url.pathname.replace(/^\//, '') || 'root';
    // DPoP-Nonce readable by the app's scripts (RFC 9449 §8), for its nonce retry.
    const cors = { 'access-control-allow-origin': this.appOrigin, 'access-control-expose-headers': 'DPoP-Nonce' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type, accept, dpop, authorization' }).end();
      return;
    }
    const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
    const proof = req.headers.dpop;
    const hit: Hit = { endpoint, method: req.method ?? 'GET', url: url.href, ...(form ? { body: form } : {}), at: Date.now(), ...(typeof proof === 'string' ? { dpop: proof } : {}) };
    this.hits.push(hit);
    try {
      await this.#answer(req, res, url, hit, form, cors);
    } finally {
      hit.handled = true;
    }
  }

  async #answer(req: IncomingMessage, res: ServerResponse, url: URL, hit: Hit, form: URLSearchParams | undefined, cors: Record<string, string>): Promise<void> {
    const json = (status: number, value: unknown, extra: Record<string, string> = {}) =>
      send(res, { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(value) });

    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(200, this.metadata(), cors);
      case '/jwks':
        return json(200, (await keys).jwks, cors);
      case '/authorize':
        return this.#authorize(res, url.searchParams);
      case '/token': {
        if (this.scenario.noCors) return send(res, { status: 403, body: 'origin not allowed' });
        const params = form ?? new URLSearchParams();
        // A DPoP proof is checked first: a refused one (or a nonce challenge) spends nothing.
        const checked = await this.#checkProof(hit, `${this.issuer}/token`);
        if (checked.refuse) return send(res, { ...checked.refuse, headers: { ...cors, ...checked.refuse.headers } });
        const context: TokenContext = { grant: params.get('grant_type'), body: params, normal: () => this.#token(params, checked.jkt) };
        const custom = await this.scenario.token?.(context);
        if (custom) return send(res, { ...custom, headers: { ...cors, ...custom.headers } });
        const { status, json: answer } = await context.normal();
        const altered = this.scenario.tokenJson ? this.scenario.tokenJson(answer, context.grant) : answer;
        // A scenario that answers Bearer (RFC 9449 §5: the provider declined DPoP) issues unbound tokens.
        const issued = altered as Record<string, unknown> | null;
        if (checked.jkt && String(issued?.token_type).toLowerCase() !== 'dpop') this.#unbind(issued?.access_token, issued?.refresh_token);
        return json(status, altered, { ...cors, 'cache-control': 'no-store' });
      }
      case '/revoke': {
        // Checked for the log (DP-04) only: a revocation is answered 200 whatever comes (RFC 7009 §2.2).
        await this.#checkProof(hit, `${this.issuer}/revoke`);
        const token = form?.get('token') ?? '';
        const family = this.#refreshTokens.get(token)?.family;
        if (family) this.revokedFamilies.add(family);
        return send(res, { status: 200, headers: cors });
      }
      case '/end-session':
        return this.#endSession(res, url.searchParams);
      case '/userinfo':
        return this.#userinfo(req, res, hit, cors);
      default:
        return json(404, { error: 'not_found' }, cors);
    }
  }

  /** Unbinds tokens issued as Bearer after all (a scenario's downgrade). */
  #unbind(accessToken: unknown, refreshToken: unknown): void {
    const access = this.accessTokens.get(accessToken as string);
    if (access) delete access.jkt;
    const refresh = this.#refreshTokens.get(refreshToken as string);
    if (refresh) delete refresh.jkt;
  }

  /**
   * Checks a request's DPoP proof (RFC 9449 §4.3) and notes on the hit what it found: `jkt` when it
   * verifies, `refuse` (400 invalid_dpop_proof, or use_dpop_nonce with a nonce) when not. No proof: `{}`.
   */
  async #checkProof(hit: Hit, htu: string): Promise<{ jkt?: string; refuse?: RawResponse }> {
    const proof = hit.dpop;
    if (proof === undefined) return {};
    const refuse = (error: string, reason: string, nonce?: string) => {
      if (nonce) hit.dpopNonce = nonce;
      else hit.dpopError = reason;
      const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store', ...(nonce ? { 'dpop-nonce': nonce } : {}) };
      return { refuse: { status: 400, headers, body: JSON.stringify({ error, error_description: reason }) } };
    };
    let payload: Record<string, unknown>;
    let jwk: JWK;
    try {
      const header = decodeProtectedHeader(proof);
      if (header.typ !== 'dpop+jwt') return refuse('invalid_dpop_proof', `typ ${header.typ}`);
      // Only ES256 is advertised (dpop_signing_alg_values_supported).
      if (header.alg !== 'ES256') return refuse('invalid_dpop_proof', `alg ${header.alg}`);
      jwk = header.jwk as JWK;
      if (!jwk || typeof jwk !== 'object' || 'd' in jwk) return refuse('invalid_dpop_proof', 'no public jwk');
      ({ payload } = await jwtVerify(proof, await importJWK(jwk, 'ES256'), { typ: 'dpop+jwt', algorithms: ['ES256'] }));
    } catch (error) {
      return refuse('invalid_dpop_proof', `does not verify: ${(error as Error).message}`);
    }
    if (typeof payload.jti !== 'string' || !payload.jti) return refuse('invalid_dpop_proof', 'no jti');
    if (this.#jtis.has(payload.jti)) return refuse('invalid_dpop_proof', `jti ${payload.jti} reused`);
    this.#jtis.add(payload.jti);
    if (payload.htm !== hit.method) return refuse('invalid_dpop_proof', `htm ${payload.htm}`);
    if (payload.htu !== htu) return refuse('invalid_dpop_proof', `htu ${payload.htu} is not ${htu}`);
    if (typeof payload.iat !== 'number' || Math.abs(hit.at / 1000 - payload.iat) > 60) return refuse('invalid_dpop_proof', `iat ${payload.iat} more than 60 s off`);
    if (this.scenario.dpopNonce === 'rotate') return refuse('use_dpop_nonce', 'a new nonce', `n${++this.#nonces}`);
    if (this.scenario.dpopNonce === 'demand' && payload.nonce !== 'n1') return refuse('use_dpop_nonce', `nonce ${payload.nonce}`, 'n1');
    hit.dpopJkt = await calculateJwkThumbprint(jwk, 'sha256');
    return { jkt: hit.dpopJkt };
  }

  #authorize(res: ServerResponse, params: URLSearchParams): void {
    const custom = this.scenario.authorize?.(params);
    if (custom) return send(res, custom);
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!redirectUri.startsWith(`${this.appOrigin}/`)) return send(res, { status: 400, body: 'unregistered redirect_uri' });
    const callback = new URL(redirectUri);
    callback.searchParams.set('code', this.mintCode(params, this.scenario.sub ?? 'alice'));
    callback.searchParams.set('state', params.get('state') ?? '');
    callback.searchParams.set('iss', this.issuer);
    const location = this.scenario.callback ? this.scenario.callback(callback, params) : callback.href;
    send(res, { status: 302, headers: { location } });
  }

  /** `jkt`: the thumbprint of the key of the request's verified DPoP proof, if it had one. */
  async #token(params: URLSearchParams, jkt?: string): Promise<{ status: number; json: Record<string, unknown> }> {
    const fail = (error: string) => ({ status: 400, json: { error } });
    if (params.get('client_id') !== this.clientId) return { status: 401, json: { error: 'invalid_client' } };
    if (params.get('grant_type') === 'authorization_code') {
      const code = params.get('code') ?? '';
      const grant = this.#codes.get(code);
      this.#codes.delete(code);
      if (!grant || grant.redirectUri !== params.get('redirect_uri')) return fail('invalid_grant');
      const verifier = params.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!this.scenario.ignorePkce && (grant.method !== 'S256' || challenge !== grant.challenge)) return fail('invalid_grant');
      // RFC 9449 §10: a code bound to a key (dpop_jkt) is spent only with a proof of that key.
      if (grant.dpopJkt !== null && grant.dpopJkt !== jkt) return fail('invalid_grant');
      return { status: 200, json: await this.#tokens(grant.sub, grant.nonce, grant.authTime, random(), 'authorization_code', jkt) };
    }
    if (params.get('grant_type') === 'refresh_token') {
      const token = params.get('refresh_token') ?? '';
      const live = this.#refreshTokens.get(token);
      if (!live || live.used || this.revokedFamilies.has(live.family)) {
        // Reuse of a rotated token revokes the whole family, as real providers do.
        if (live) this.revokedFamilies.add(live.family);
        return fail('invalid_grant');
      }
      // RFC 9449 §5: a refresh token bound to a key is spent only with a proof of that key (and stays usable).
      if (live.jkt !== undefined && live.jkt !== jkt) return fail('invalid_dpop_proof');
      live.used = true;
      return { status: 200, json: await this.#tokens(live.sub, null, undefined, live.family, 'refresh_token', jkt) };
    }
    return fail('unsupported_grant_type');
  }

  async #tokens(sub: string, nonce: string | null, authTime: number | undefined, family: string, grant: string, jkt?: string) {
    const accessToken = random();
    const refreshToken = random();
    // With a DPoP proof, both tokens are bound to its key (RFC 9449 §5); token_type says so.
    this.#refreshTokens.set(refreshToken, { sub, family, used: false, ...(jkt ? { jkt } : {}) });
    this.accessTokens.set(accessToken, { sub, ...(jkt ? { jkt } : {}) });
    const now = Math.floor(Date.now() / 1000);
    const atHash = createHash('sha256').update(this.scenario.atHash === 'wrong' ? 'another token' : accessToken).digest().subarray(0, 16).toString('base64url');
    const claims: Record<string, unknown> = {
      ...(this.scenario.atHash ? { at_hash: atHash } : {}),
      iss: this.issuer,
      aud: this.clientId,
      sub,
      iat: now,
      // Past the page clock's jumps (tests move it 700 s per expiry) so a refreshed ID token is still valid.
      exp: now + 3600,
      name: `User ${sub}`,
      ...(nonce === null ? {} : { nonce }),
      ...(authTime === undefined ? {} : { auth_time: authTime }),
    };
    const idToken = grant === 'authorization_code' || this.scenario.refreshIdToken ? await this.sign(this.scenario.idTokenClaims ? this.scenario.idTokenClaims(claims, grant) : claims) : undefined;
    this.issued.push(accessToken, refreshToken, ...(idToken ? [idToken] : []));
    return {
      access_token: accessToken,
      token_type: jkt ? 'DPoP' : 'Bearer',
      expires_in: 600,
      refresh_token: refreshToken,
      ...(idToken ? { id_token: idToken } : {}),
      scope: 'openid profile email',
    };
  }

  /** Signs claims the way the scenario says (a real key unless the case is about the signature). */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const k = await keys;
    switch (this.scenario.signing ?? 'RS256') {
      case 'ES256':
        return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'es1' }).sign(k.es);
      case 'none':
      case 'None':
        return `${b64url(JSON.stringify({ alg: this.scenario.signing }))}.${b64url(JSON.stringify(claims))}.`;
      case 'HS256-public-key':
        return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(k.rsPublicPem));
      case 'HS256-empty':
        return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));
      case 'unrelated-key':
        return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rs1' }).sign(k.unrelated);
      case 'corrupt': {
        const jwt = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rs1' }).sign(k.rs);
        const [h, p, s] = jwt.split('.') as [string, string, string];
        return `${h}.${p}.${s.slice(0, -6)}AAAAAA`;
      }
      default:
        return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rs1' }).sign(k.rs);
    }
  }

  /**
   * The UserInfo endpoint (OIDC Core §5.3): the claims of the access token's user, for a Bearer token
   * or a DPoP-bound one sent as DPoP with a proof of its key (RFC 9449 §7); else 401 invalid_token.
   * `WWW-Authenticate` and `DPoP-Nonce` are exposed to the app (CORS), as its retries need them.
   */
  async #userinfo(req: IncomingMessage, res: ServerResponse, hit: Hit, cors: Record<string, string>): Promise<void> {
    const headers = { ...cors, 'access-control-expose-headers': 'DPoP-Nonce, WWW-Authenticate' };
    const [, scheme, token] = /^(Bearer|DPoP) +(\S+)$/i.exec(req.headers.authorization ?? '') ?? [];
    const known = token === undefined ? undefined : this.accessTokens.get(token);
    const bound = known?.jkt !== undefined;
    const valid =
      known !== undefined &&
      scheme?.toLowerCase() === (bound ? 'dpop' : 'bearer') &&
      (!bound || (await this.#checkProof(hit, `${this.issuer}/userinfo`)).jkt === known.jkt);
    const normal = valid ? { sub: known.sub, name: `User ${known.sub}`, email: `${known.sub}@example.test`, email_verified: true } : undefined;
    const custom = this.scenario.userinfo?.({ token, normal, hit: this.count('userinfo') });
    if (custom) return send(res, { ...custom, headers: { ...headers, ...custom.headers } });
    if (!normal) return send(res, { status: 401, headers: { ...headers, 'www-authenticate': `${bound ? 'DPoP' : 'Bearer'} error="invalid_token"` } });
    send(res, { status: 200, headers: { ...headers, 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(normal) });
  }

  #endSession(res: ServerResponse, params: URLSearchParams): void {
    const custom = this.scenario.endSession?.(params);
    if (custom) return send(res, custom);
    const target = params.get('post_logout_redirect_uri');
    const registered = [`${this.appOrigin}/`, `${this.appOrigin}/bye`];
    if (target && (this.scenario.laxLogout || registered.includes(target))) return send(res, { status: 302, headers: { location: target } });
    send(res, { status: 200, headers: { 'content-type': 'text/html' }, body: '<p>signed out</p>' });
  }
}

/** Writes a raw response, including the misbehaving kinds. */
export function send(res: ServerResponse, answer: RawResponse): void {
  if (answer.destroy) {
    res.socket?.destroy();
    return;
  }
  res.shouldKeepAlive = false;
  if (answer.hang) return;
  if (answer.trickle) {
    res.writeHead(200, { 'content-type': 'application/json', ...answer.headers });
    res.write('{"access_token":"');
    const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('a')), 200);
    res.on('close', () => clearInterval(timer));
    return;
  }
  // No keep-alive: a browser retries a request whose reused connection was reset, which would blur
  // what the SDK itself sent.
  res.writeHead(answer.status ?? 200, { connection: 'close', ...answer.headers }).end(answer.body ?? '');
}
