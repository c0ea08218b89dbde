import { createHash, randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';

/**
 * An in-process OpenID provider behind a fake `fetch`, for unit tests. It checks PKCE, redirect URI
 * and client id like a real provider, rotates refresh tokens and revokes the family on reuse, and signs
 * ID tokens with a real RS256 key. Tests change one behaviour at a time through `hooks`.
 */
export interface FakeProviderOptions {
  issuer?: string;
  clientId?: string;
  accessTokenTtl?: number;
  rotateRefreshTokens?: boolean;
  endSession?: boolean;
  revocation?: boolean;
  issParameterSupported?: boolean;
  /** Put a correct `at_hash` in ID tokens. */
  atHash?: boolean;
  now?: () => number;
}

export interface RequestLog {
  method: string;
  url: string;
  body: URLSearchParams | undefined;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  sub: string;
}

// One key for the whole test run: RSA generation is slow and the key is not what these tests vary.
let keyPromise: Promise<CryptoKey> | undefined;
function signingKey(): Promise<CryptoKey> {
  keyPromise ??= generateKeyPair('RS256').then((pair) => pair.privateKey as CryptoKey);
  return keyPromise;
}

export type FakeProvider = Awaited<ReturnType<typeof createFakeProvider>>;

export async function createFakeProvider(options: FakeProviderOptions = {}) {
  const issuer = options.issuer ?? 'https://op.test';
  const clientId = options.clientId ?? 'spa';
  const now = options.now ?? Date.now;
  const privateKey = await signingKey();
  const codes = new Map<string, CodeRecord>();
  const liveRefreshTokens = new Map<string, { sub: string; family: string }>();
  const usedRefreshTokens = new Map<string, string>();
  const revokedFamilies = new Set<string>();
  const requests: RequestLog[] = [];

  const hooks: {
    /** Replaces the response of one endpoint, e.g. to fail or misbehave. */
    token?: (body: URLSearchParams, normal: () => Promise<Response>) => Promise<Response> | Response;
    discovery?: (normal: () => Response) => Promise<Response> | Response;
    idTokenClaims?: (claims: Record<string, unknown>) => Record<string, unknown>;
  } = {};

  const metadata = () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    ...(options.endSession === false ? {} : { end_session_endpoint: `${issuer}/session/end` }),
    ...(options.revocation === false ? {} : { revocation_endpoint: `${issuer}/token/revocation` }),
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: ['RS256'],
    authorization_response_iss_parameter_supported: options.issParameterSupported ?? true,
  });

  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  async function idToken(sub: string, nonce: string | undefined, accessToken?: string): Promise<string> {
    const seconds = Math.floor(now() / 1000);
    let claims: Record<string, unknown> = {
      ...(options.atHash && accessToken ? { at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url') } : {}),
      iss: issuer,
      aud: clientId,
      sub,
      iat: seconds,
      exp: seconds + 3600,
      name: `User ${sub}`,
      email: `${sub}@example.test`,
      ...(nonce === undefined ? {} : { nonce }),
    };
    if (hooks.idTokenClaims) claims = hooks.idTokenClaims(claims);
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
  }

  async function issueTokens(sub: string, nonce: string | undefined, family: string, withIdToken: boolean) {
    const refreshToken = `rt-${randomUUID()}`;
    const accessToken = `at-${randomUUID()}`;
    liveRefreshTokens.set(refreshToken, { sub, family });
    return json({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: options.accessTokenTtl ?? 600,
      refresh_token: refreshToken,
      ...(withIdToken ? { id_token: await idToken(sub, nonce, accessToken) } : {}),
      scope: 'openid profile email',
    });
  }

  async function tokenEndpoint(body: URLSearchParams): Promise<Response> {
    if (body.get('client_id') !== clientId) return json({ error: 'invalid_client' }, 401);
    if (body.get('grant_type') === 'authorization_code') {
      const code = codes.get(body.get('code') ?? '');
      codes.delete(body.get('code') ?? '');
      if (!code) return json({ error: 'invalid_grant' }, 400);
      const verifier = body.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (challenge !== code.challenge || body.get('redirect_uri') !== code.redirectUri) {
        return json({ error: 'invalid_grant' }, 400);
      }
      return issueTokens(code.sub, code.nonce, randomUUID(), true);
    }
    if (body.get('grant_type') === 'refresh_token') {
      const token = body.get('refresh_token') ?? '';
      const live = liveRefreshTokens.get(token);
      if (!live || revokedFamilies.has(live.family)) {
        // Reuse of a rotated token revokes the whole family, as real providers do.
        const family = usedRefreshTokens.get(token);
        if (family) revokedFamilies.add(family);
        return json({ error: 'invalid_grant' }, 400);
      }
      if (options.rotateRefreshTokens === false) return issueRotationless(live.sub);
      liveRefreshTokens.delete(token);
      usedRefreshTokens.set(token, live.family);
      return issueTokens(live.sub, undefined, live.family, false);
    }
    return json({ error: 'unsupported_grant_type' }, 400);
  }

  function issueRotationless(sub: string) {
    return json({ access_token: `at-${randomUUID()}-${sub}`, token_type: 'Bearer', expires_in: options.accessTokenTtl ?? 600 });
  }

  // Like a real fetch, an aborted signal rejects the request whatever the server is doing.
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal;
    if (!signal) return serve(input, init);
    return new Promise<Response>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      serve(input, init).then(resolve, reject);
    });
  };

  const serve = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = init?.method ?? 'GET';
    const body = init?.body instanceof URLSearchParams ? init.body : typeof init?.body === 'string' ? new URLSearchParams(init.body) : undefined;
    requests.push({ method, url: url.href, body });
    if (url.origin !== new URL(issuer).origin) throw new TypeError('Failed to fetch');
    const path = url.pathname;
    if (path === '/.well-known/openid-configuration') {
      const normal = () => json(metadata());
      return hooks.discovery ? hooks.discovery(normal) : normal();
    }
    if (path === '/token' && body) {
      const normal = () => tokenEndpoint(body);
      return hooks.token ? hooks.token(body, normal) : normal();
    }
    if (path === '/token/revocation' && body) {
      const token = body.get('token') ?? '';
      const live = liveRefreshTokens.get(token);
      if (live) revokedFamilies.add(live.family);
      liveRefreshTokens.delete(token);
      return new Response(null, { status: 200 });
    }
    return json({ error: 'not_found' }, 404);
  };

  /**
   * Plays the browser and the user at the authorization endpoint: returns the callback URL the
   * provider would redirect to for a user named `sub`.
   */
  function authorize(authorizationUrl: string, sub = 'alice', extra: Record<string, string> = {}): string {
    const url = new URL(authorizationUrl);
    const p = url.searchParams;
    const code = `code-${randomUUID()}`;
    codes.set(code, {
      clientId: p.get('client_id') ?? '',
      redirectUri: p.get('redirect_uri') ?? '',
      challenge: p.get('code_challenge') ?? '',
      nonce: p.get('nonce') ?? '',
      sub,
    });
    const callback = new URL(p.get('redirect_uri') ?? '');
    callback.searchParams.set('code', code);
    callback.searchParams.set('state', p.get('state') ?? '');
    callback.searchParams.set('iss', issuer);
    for (const [k, v] of Object.entries(extra)) callback.searchParams.set(k, v);
    return callback.href;
  }

  const count = (path: string, grant?: string) =>
    requests.filter((r) => new URL(r.url).pathname === path && (grant === undefined || r.body?.get('grant_type') === grant)).length;

  return { issuer, clientId, fetch, authorize, requests, hooks, count, revokedFamilies, liveRefreshTokens, json, idToken };
}
