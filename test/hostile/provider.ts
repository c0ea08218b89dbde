import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

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
}

export interface Hit {
  endpoint: string;
  method: string;
  url: string;
  body?: URLSearchParams;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  challenge: string | null;
  method: string | null;
  nonce: string | null;
  sub: string;
  authTime: number;
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
  readonly #refreshTokens = new Map<string, { sub: string; family: string; used: boolean }>();
  readonly revokedFamilies = new Set<string>();

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
  }

  count(endpoint: string, grant?: string): number {
    return this.hits.filter((h) => h.endpoint === endpoint && (grant === undefined || h.body?.get('grant_type') === grant)).length;
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
    };
    return this.scenario.metadata ? this.scenario.metadata(m) : m;
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    const endpoint = url.pathname.replace(/^\//, '') || 'root';
    const cors = { 'access-control-allow-origin': this.appOrigin };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type, accept, dpop' }).end();
      return;
    }
    const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
    this.hits.push({ endpoint, method: req.method ?? 'GET', url: url.href, ...(form ? { body: form } : {}) });
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
        const context: TokenContext = { grant: params.get('grant_type'), body: params, normal: () => this.#token(params) };
        const custom = await this.scenario.token?.(context);
        if (custom) return send(res, { ...custom, headers: { ...cors, ...custom.headers } });
        const { status, json: answer } = await context.normal();
        const altered = this.scenario.tokenJson ? this.scenario.tokenJson(answer, context.grant) : answer;
        return json(status, altered, { ...cors, 'cache-control': 'no-store' });
      }
      case '/revoke': {
        const token = form?.get('token') ?? '';
        const family = this.#refreshTokens.get(token)?.family;
        if (family) this.revokedFamilies.add(family);
        return send(res, { status: 200, headers: cors });
      }
      case '/end-session':
        return this.#endSession(res, url.searchParams);
      default:
        return json(404, { error: 'not_found' }, cors);
    }
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

  async #token(params: URLSearchParams): Promise<{ status: number; json: Record<string, unknown> }> {
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
      return { status: 200, json: await this.#tokens(grant.sub, grant.nonce, grant.authTime, random(), 'authorization_code') };
    }
    if (params.get('grant_type') === 'refresh_token') {
      const token = params.get('refresh_token') ?? '';
      const live = this.#refreshTokens.get(token);
      if (!live || live.used || this.revokedFamilies.has(live.family)) {
        // Reuse of a rotated token revokes the whole family, as real providers do.
        if (live) this.revokedFamilies.add(live.family);
        return fail('invalid_grant');
      }
      live.used = true;
      return { status: 200, json: await this.#tokens(live.sub, null, undefined, live.family, 'refresh_token') };
    }
    return fail('unsupported_grant_type');
  }

  async #tokens(sub: string, nonce: string | null, authTime: number | undefined, family: string, grant: string) {
    const accessToken = random();
    const refreshToken = random();
    this.#refreshTokens.set(refreshToken, { sub, family, used: false });
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
      token_type: 'Bearer',
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
