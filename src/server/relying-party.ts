// The OpenID Connect side of the session server: discovery, the authorization URL, the code
// exchange, refresh, revocation and the end-session URL, all through oauth4webapi's request builders
// and response checks (on the server, bundle size is no reason to hand-write requests).
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError } from '../errors/errors.js';
import { isTimeout } from '../protocol/http.js';
import { checkMetadata } from '../protocol/discovery.js';
import { checkIdToken, refreshedClaimMismatch } from '../protocol/id-token-checks.js';
import { isTransientStatus, nextAttemptAt, retryAfterMs } from '../protocol/retry-policy.js';
import { toAuthError } from '../errors/map-error.js';
import { tokenErrorCode } from '../protocol/callback.js';
import { MAX_LIFETIME_SECONDS, MAX_TOKEN_LENGTH, type User } from '../session/token-set.js';
import { parEndpoint } from '../par/endpoint.js';
import { requestUriOf } from '../par/push.js';
import { requestUriUrl } from '../par/request-uri-url.js';
import { isLoopbackHost } from '../client/options.js';
import type { ResolvedServerOptions } from './options.js';
import { readBounded } from './http-messages.js';
import { toBase64Url } from './seal.js';

/** Tokens as the server keeps them (sealed at rest). */
export interface ServerTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch ms; 0 when the provider did not say. At most a day after `receivedAt`. */
  readonly expiresAt: number;
  /** Epoch ms when the token response arrived (absent in entries written by older versions). */
  readonly receivedAt?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
  /**
   * Access tokens issued for one resource each (RFC 8707 §2.2), by resource indicator: those of API
   * routes with a `resource`, renewed on their own with the session's refresh token.
   */
  readonly resources?: Readonly<Record<string, ResourceToken>>;
  /**
   * The resource indicators the login asked for (RFC 8707 §2.1): only these can be asked for with the
   * refresh token (oidc-provider spends a rotating refresh token even on a refused resource).
   */
  readonly loginResources?: readonly string[];
}

/** An access token issued for one resource (RFC 8707), as {@link ServerTokens.resources} keeps it. */
export type ResourceToken = Pick<ServerTokens, 'accessToken' | 'tokenType' | 'expiresAt' | 'receivedAt' | 'scope'>;

/** What a pending login must remember across the redirect. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  /** The max_age sent, in seconds: the ID token's auth_time is checked against it. */
  readonly maxAge?: number;
  /** Epoch ms when the login started; the callback refuses it once the pending lifetime has passed. */
  readonly issuedAt: number;
  /** A digest of the resource indicators the login asked for (the list itself may not fit the cookie). */
  readonly resources?: string;
}

// Metadata rarely changes; an hour bounds how long a moved endpoint goes unnoticed.
const METADATA_TTL_MS = 3_600_000;

export class RelyingParty {
  readonly #options: ResolvedServerOptions;
  /** The last metadata that passed the checks, and when it was fetched. */
  #metadata: { value: oauth.AuthorizationServer; at: number } | undefined;
  #fetching: Promise<oauth.AuthorizationServer> | undefined;
  /** Discovery back-off: consecutive failures, and no new attempt before `#retryAt`. */
  #failures = 0;
  #retryAt = 0;
  /**
   * oauth4webapi's DPoP handle for the server's key pair (the `dpop` option): it signs every proof and
   * keeps the last nonce each origin (the provider's, every API's) sent. One for the server's life: its
   * clock skew is the `now` seam's at start, so proofs' `iat` follow the app's clock.
   */
  readonly #dpop: oauth.DPoPHandle | undefined;
  /** The provider's signing keys for logout tokens, by its `jwks_uri` (a moved URI gets a new cache). */
  #keys: { uri: string; get: JWTVerifyGetKey } | undefined;
  /** The resource indicators every login asks for (RFC 8707 §2.1), and a digest of the list. */
  readonly #resources: readonly string[];
  #resourcesDigest: Promise<string> | undefined;

  constructor(options: ResolvedServerOptions) {
    this.#options = options;
    this.#resources = options.resources;
    this.#dpop = options.dpop && oauth.DPoP(this.#client(), options.dpop.keyPair);
  }

  /**
   * Provider metadata, fetched once an hour. A failed fetch backs off like a failed refresh (one
   * request per step, never one per login), and metadata past its hour that cannot be refetched is
   * kept until it can: a discovery outage must not stop logins that the provider could still serve.
   */
  metadata(): Promise<oauth.AuthorizationServer> {
    const now = this.#options.now();
    const known = this.#metadata;
    if (known && now - known.at <= METADATA_TTL_MS) return Promise.resolve(known.value);
    if (this.#fetching) return this.#fetching;
    if (now < this.#retryAt) {
      return known ? Promise.resolve(known.value) : Promise.reject(new NetworkError('network_error', `discovery at ${this.#options.issuer.host}: backing off`, this.#retryAt));
    }
    this.#fetching = this.#discover()
      .then(
        (value) => {
          this.#metadata = { value, at: now };
          this.#failures = 0;
          return value;
        },
        (error: unknown) => {
          const asked = error instanceof NetworkError && error.retryAt ? error.retryAt - now : 0;
          this.#retryAt = nextAttemptAt(now, ++this.#failures, asked);
          if (known) return known.value;
          throw error instanceof NetworkError ? new NetworkError(error.code, error.message, this.#retryAt) : error;
        },
      )
      .finally(() => (this.#fetching = undefined));
    return this.#fetching;
  }

  async #discover(): Promise<oauth.AuthorizationServer> {
    const operation = `discovery at ${this.#options.issuer.host}`;
    try {
      const response = await oauth.discoveryRequest(this.#options.issuer, { ...this.#requestOptions(), algorithm: 'oidc' });
      const metadata = await oauth.processDiscoveryResponse(this.#options.issuer, response);
      // Browser mode's rules (Discovery §3 required members, https: endpoints): oauth4webapi checks the
      // issuer only, and the authorization and end-session URLs are redirects we build, never requests it sends.
      checkMetadata(metadata, { issuer: this.#options.issuer, allowInsecureRequests_: this.#options.issuer.protocol === 'http:' }, operation);
      return metadata;
    } catch (error) {
      throw toAuthError(error, operation, 'invalid_discovery');
    }
  }

  /**
   * A new pending login and the URL to send the browser to. `params` are the login's whole set of
   * extra parameters (the configured ones merged with the link's by `loginParams`). With pushed
   * authorization requests (the `pushedAuthorizationRequests` option) the request is pushed first and
   * the URL carries only `client_id` and `request_uri`.
   */
  async authorizationUrl(returnTo: string, params: Readonly<Record<string, string>>): Promise<{ url: string; pending: PendingLogin }> {
    const metadata = await this.metadata();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const pending: PendingLogin = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      codeVerifier,
      returnTo,
      issuedAt: this.#options.now(),
    };
    const url = new URL(metadata.authorization_endpoint as string);
    const search = url.searchParams;
    for (const [key, value] of Object.entries(params)) if (value !== '') search.set(key, value);
    // Beside a configured one: a grant covering several APIs names each (§2.1 allows the parameter repeated).
    for (const resource of this.#resources) if (!search.getAll('resource').includes(resource)) search.append('resource', resource);
    search.set('client_id', this.#options.clientId);
    search.set('redirect_uri', this.#options.redirectUri);
    search.set('response_type', 'code');
    search.set('scope', this.#options.scope);
    search.set('state', pending.state);
    search.set('nonce', pending.nonce);
    search.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    search.set('code_challenge_method', 'S256');
    const maxAge = search.get('max_age');
    const push = this.#options.pushedAuthorizationRequests;
    const endpoint =
      push !== false &&
      parEndpoint(push === true, { issuer: this.#options.issuer, allowInsecureRequests_: this.#options.issuer.protocol === 'http:' }, metadata, 'pushedAuthorizationRequests');
    const dpop = this.#options.dpop;
    if (dpop && this.#dpop) {
      // Before the browser leaves: a provider that cannot take these proofs would answer Bearer (refused) after the user signed in.
      if (!dpop.allowBearer && !metadata.dpop_signing_alg_values_supported?.includes(dpop.alg)) {
        throw new ConfigError('dpop', `the provider does not offer DPoP with ${dpop.alg} (dpop_signing_alg_values_supported)`);
      }
      // RFC 9449 §10: the code is bound to the key, so a code stolen from the redirect is worth nothing. A push's proof binds it instead (§10.1).
      if (!endpoint) search.set('dpop_jkt', await this.#dpop.calculateThumbprint());
    }
    return {
      url: endpoint ? requestUriUrl(metadata, this.#options.clientId, await this.#push(metadata, search)) : url.href,
      pending: {
        ...pending,
        ...(maxAge && /^\d+$/.test(maxAge) ? { maxAge: Number(maxAge) } : {}),
        ...(this.#resources.length ? { resources: await this.#digestOfResources() } : {}),
      },
    };
  }

  /**
   * Pushes the authorization request (RFC 9126 §2.1) with the client's authentication, and resolves
   * with the `request_uri` the provider answered, checked by oauth4webapi and bounded as in the browser
   * (src/par/push.ts). Errors as at the token endpoint: the provider's answer an {@link OAuthError},
   * 429, 5xx and transport failures a {@link NetworkError}, a bad answer a {@link ProtocolError}.
   */
  async #push(metadata: oauth.AuthorizationServer, params: URLSearchParams): Promise<string> {
    const operation = `pushed authorization request at ${this.#options.issuer.host}`;
    try {
      const result = await this.#withNonceRetry(
        () => oauth.pushedAuthorizationRequest(metadata, this.#client(), this.#clientAuth(metadata), params, this.#requestOptions()),
        (response) => oauth.processPushedAuthorizationResponse(metadata, this.#client(), response),
      );
      return requestUriOf(result, operation);
    } catch (error) {
      throw toAuthError(error, operation, 'unexpected_response');
    }
  }

  /** Validates the callback against its pending login, redeems the code, validates the ID token. */
  async redeem(callback: URL, pending: PendingLogin): Promise<{ tokens: ServerTokens; user: User }> {
    const metadata = await this.metadata();
    const operation = `code exchange at ${this.#options.issuer.host}`;
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(metadata, this.#client(), callback.searchParams, pending.state);
    } catch (error) {
      // The provider's own error answer (access_denied, login_required, ...); toAuthError, shared
      // with the browser build, does not know this class, which only validateAuthResponse throws.
      if (error instanceof oauth.AuthorizationResponseError) throw new OAuthError(error.error, error.error_description ?? undefined, 'login');
      throw toAuthError(error, 'login', /"iss"/.test(String((error as Error)?.message)) ? 'issuer_mismatch' : 'invalid_callback');
    }
    try {
      const result = await this.#withNonceRetry(
        () =>
          oauth.authorizationCodeGrantRequest(metadata, this.#client(), this.#clientAuth(metadata), params, this.#options.redirectUri, pending.codeVerifier, this.#requestOptions()),
        (response) =>
          oauth.processAuthorizationCodeResponse(metadata, this.#client(), response, {
            expectedNonce: pending.nonce,
            requireIdToken: true,
            ...(pending.maxAge === undefined ? {} : { maxAge: pending.maxAge }),
          }),
      );
      if (this.#downgraded(result)) {
        // Nothing of a refused answer is kept; its refresh token is not left live at the provider either.
        if (result.refresh_token) void this.revoke(result.refresh_token);
        throw new ProtocolError('invalid_token_response', `${operation}: token_type "${result.token_type}" where DPoP was required`);
      }
      const user = oauth.getValidatedIdTokenClaims(result) as User;
      let tokens = this.#toTokens(result);
      if (this.#resources.length) {
        // A login begun under another configuration (a deploy in between) asked for other resources: none is known to be granted.
        const asked = pending.resources !== undefined && pending.resources === (await this.#digestOfResources());
        tokens = { ...tokens, loginResources: asked ? this.#resources : [] };
      }
      await checkIdToken(user, tokens.accessToken, this.#idTokenContext(true, operation));
      // acr_values is a request the provider may ignore (OIDC Core §3.1.2.1): the claim decides (§2 acr).
      const required = this.#options.requiredAcr;
      if (required && !(typeof user.acr === 'string' && required.includes(user.acr))) {
        throw new ProtocolError('invalid_id_token', `${operation}: the ID token's acr is not one the app requires`);
      }
      return { tokens, user };
    } catch (error) {
      throw toAuthError(error, operation, tokenErrorCode(error));
    }
  }

  /**
   * The refresh-token grant. A response without a new refresh token keeps the old one. A refreshed ID
   * token must describe the same login as `original` (the claims of the ID token from the login).
   * @throws {@link LoginRequiredError} without a refresh token, or when a refreshed ID token names another
   *   user or login (its tokens are revoked and never returned: they must not become the logout hint).
   * @throws {@link NetworkError} on 429, 5xx, transport failures and timeouts.
   * @param resource - asks for an access token for this resource instead (RFC 8707 §2.2): it goes to
   *   `resources[resource]`, and the login's own access token stays as it was.
   */
  async refresh(previous: ServerTokens, original: User, resource?: string): Promise<ServerTokens> {
    const operation = `refresh${resource === undefined ? '' : ` for ${resource}`} at ${this.#options.issuer.host}`;
    if (!previous.refreshToken) throw new LoginRequiredError(`${operation}: no refresh token`);
    const required = this.#options.requiredAcr;
    let next: ServerTokens;
    let mismatch: string | undefined;
    try {
      const metadata = await this.metadata();
      const refreshToken = previous.refreshToken;
      const result = await this.#withNonceRetry(
        () =>
          oauth.refreshTokenGrantRequest(metadata, this.#client(), this.#clientAuth(metadata), refreshToken, {
            ...this.#requestOptions(),
            ...(resource === undefined ? {} : { additionalParameters: { resource } }),
          }),
        (response) => oauth.processRefreshTokenResponse(metadata, this.#client(), response),
      );
      next = this.#toTokens(result);
      // A provider that stops binding mid-session: refused like a login's Bearer answer, and the session
      // ends below (the refresh token may have rotated: keeping the old one would only be spent twice).
      if (this.#downgraded(result)) mismatch = 'token_type';
      const claims = oauth.getValidatedIdTokenClaims(result) as User | undefined;
      // Another user or login (OIDC Core §12.2, one definition with browser mode), or a level below what
      // the app requires, ends the session below; any other fault is a bad answer, backed off like an outage.
      mismatch ??=
        claims && (refreshedClaimMismatch(claims, original) ?? (required && claims.acr !== undefined && !required.includes(claims.acr as string) ? 'acr' : undefined));
      if (!mismatch) await checkIdToken(claims, next.accessToken, this.#idTokenContext(false, operation));
    } catch (error) {
      throw toAuthError(error, operation, tokenErrorCode(error));
    }
    if (mismatch) {
      for (const token of new Set([next.refreshToken, previous.refreshToken])) if (token) void this.revoke(token);
      throw new LoginRequiredError(
        mismatch === 'token_type'
          ? `${operation}: token_type "${next.tokenType}" where DPoP was required`
          : `${operation}: the refreshed ID token's "${mismatch}" differs from the login's`,
      );
    }
    const idToken = next.idToken ?? previous.idToken;
    const kept = { refreshToken: next.refreshToken ?? previous.refreshToken, ...(idToken ? { idToken } : {}) };
    if (resource === undefined) {
      const { resources, loginResources } = previous;
      return { ...next, ...kept, ...(resources ? { resources } : {}), ...(loginResources ? { loginResources } : {}) };
    }
    const { refreshToken: _refresh, idToken: _id, ...issued } = next;
    return { ...previous, ...kept, resources: { ...previous.resources, [resource]: issued } };
  }

  /** Revokes a refresh token (RFC 7009), best effort: the session is gone whatever the provider says. */
  async revoke(refreshToken: string): Promise<void> {
    try {
      const metadata = await this.metadata();
      if (typeof metadata.revocation_endpoint !== 'string') return;
      const response = await oauth.revocationRequest(metadata, this.#client(), this.#clientAuth(metadata), refreshToken, {
        ...this.#requestOptions(),
        additionalParameters: { token_type_hint: 'refresh_token' },
      });
      await oauth.processRevocationResponse(response);
    } catch {
      // Best effort: an unreachable provider must not keep the user signed in here.
    }
  }

  /** RP-Initiated Logout URL, or the post-logout page when the provider has no end-session endpoint. */
  async endSessionUrl(idToken: string | undefined): Promise<string> {
    const metadata = await this.metadata().catch(() => undefined);
    const endpoint = metadata?.end_session_endpoint;
    if (typeof endpoint !== 'string') return this.#options.postLogoutRedirectUri;
    const url = new URL(endpoint);
    url.searchParams.set('client_id', this.#options.clientId);
    url.searchParams.set('post_logout_redirect_uri', this.#options.postLogoutRedirectUri);
    if (idToken) url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('state', oauth.generateRandomState());
    return url.href;
  }

  /** SHA-256 of the resource list, base64url: what a pending login remembers of it. */
  #digestOfResources(): Promise<string> {
    this.#resourcesDigest ??= crypto.subtle
      .digest('SHA-256', new TextEncoder().encode(this.#resources.join('\n')))
      .then((digest) => toBase64Url(new Uint8Array(digest)));
    return this.#resourcesDigest;
  }

  #client(): oauth.Client {
    return {
      client_id: this.#options.clientId,
      id_token_signed_response_alg: this.#options.idTokenSigningAlg,
      [oauth.clockSkew]: Math.round((this.#options.now() - Date.now()) / 1000),
    };
  }

  /**
   * The provider's signing keys (`jwks_uri`), for tokens oauth4webapi does not check itself (logout
   * tokens). jose caches them for ten minutes and fetches again when a token names a key it has not
   * seen (the provider rotated), at most every 30 s: a stream of tokens with made-up `kid`s costs the
   * provider one request per cooldown, not one per token. Requests go through this server's fetch
   * seam, deadline and size bound like every other request to the provider.
   */
  async providerKeys(): Promise<JWTVerifyGetKey> {
    const metadata = await this.metadata();
    const uri = metadata.jwks_uri;
    if (typeof uri !== 'string') throw new ProtocolError('unexpected_response', 'discovery: the provider publishes no jwks_uri');
    const url = new URL(uri);
    if (url.protocol !== 'https:' && !(isLoopbackUrl(url) && isLoopbackUrl(this.#options.issuer))) throw new ProtocolError('insecure_endpoint', 'discovery: jwks_uri is not https');
    if (this.#keys?.uri !== url.href) {
      const options = this.#options;
      this.#keys = {
        uri: url.href,
        get: createRemoteJWKSet(url, {
          timeoutDuration: options.requestTimeoutMs_,
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
          [customFetch]: (href: string, init: RequestInit) => this.#fetch(href, { ...init, redirect: 'manual' }),
        }),
      };
    }
    return this.#keys.get;
  }

  #clientAuth(metadata: oauth.AuthorizationServer): oauth.ClientAuth {
    const secret = this.#options.clientSecret;
    let method = this.#options.tokenEndpointAuthMethod;
    if (!method) {
      const advertised = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
      method = !secret ? 'none' : advertised.includes('client_secret_basic') || !advertised.includes('client_secret_post') ? 'client_secret_basic' : 'client_secret_post';
    }
    if (method === 'none' || !secret) return oauth.None();
    return method === 'client_secret_post' ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret);
  }

  /**
   * Options of every request to the provider: the deadline, the fetch seam and, with the `dpop` option,
   * the DPoP handle (oauth4webapi adds a fresh proof to the token and PAR requests; the others ignore it).
   */
  #requestOptions() {
    const options = this.#options;
    return {
      signal: () => AbortSignal.timeout(options.requestTimeoutMs_),
      ...(options.issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
      [oauth.customFetch]: this.#fetch as never,
      ...(this.#dpop ? { DPoP: this.#dpop } : {}),
    };
  }

  /**
   * Sends a request and processes its answer; with DPoP, a `use_dpop_nonce` answer (RFC 9449 §8) sends
   * it exactly once more, with a new proof carrying the nonce the handle kept from that answer.
   */
  async #withNonceRetry<T>(send: () => Promise<Response>, process: (response: Response) => Promise<T>): Promise<T> {
    const first = await send();
    if (!this.#dpop) return process(first);
    try {
      return await process(first);
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error;
    }
    return process(await send());
  }

  /** True when DPoP was asked for and the answer is not a DPoP token (RFC 9449 §5), unless the app allows Bearer. */
  #downgraded(result: oauth.TokenEndpointResponse): boolean {
    const dpop = this.#options.dpop;
    return dpop !== undefined && !dpop.allowBearer && result.token_type.toLowerCase() !== 'dpop';
  }

  /**
   * One request to a resource server with `tokens`' access token (RFC 9449 §7 / RFC 6750 §2.1): a
   * DPoP-bound token as `Authorization: DPoP` with a proof (`ath` the token's hash, the origin's last
   * nonce), a Bearer one as `Authorization: Bearer`. The answer comes back whatever it is, challenges
   * included (with their parsed `WWW-Authenticate`); redirects are not followed. The caller has checked
   * the URL (https:, or http: on a loopback host); no deadline but the request's own `signal`.
   */
  async resourceRequest(
    tokens: Pick<ServerTokens, 'accessToken' | 'tokenType'>,
    request: { method: string; url: URL; headers: Headers; body: ArrayBuffer | ReadableStream<Uint8Array> | undefined; signal: AbortSignal },
  ): Promise<{ response: Response; challenges: oauth.WWWAuthenticateChallenge[]; proof: boolean }> {
    const proof = this.#dpop !== undefined && tokens.tokenType.toLowerCase() === 'dpop';
    try {
      const response = await oauth.protectedResourceRequest(tokens.accessToken, request.method, request.url, request.headers, request.body ?? null, {
        signal: request.signal,
        [oauth.customFetch]: (this.#options.fetch ?? fetch) as never,
        ...(isLoopbackUrl(request.url) ? { [oauth.allowInsecureRequests]: true } : {}),
        ...(proof ? { DPoP: this.#dpop } : {}),
      });
      return { response, challenges: [], proof };
    } catch (error) {
      if (error instanceof oauth.WWWAuthenticateChallengeError) return { response: error.response, challenges: error.cause, proof };
      throw error;
    }
  }

  /**
   * Every request to the provider: transport failures, timeouts, 429 and 5xx become
   * {@link NetworkError} (with `retryAt` when the provider sent `Retry-After`), whatever the endpoint,
   * so callers back off and keep the session instead of reading an error page as a protocol error.
   */
  readonly #fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const options = this.#options;
    const host = options.issuer.host;
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(url, init);
    } catch (error) {
      throw isTimeout(error) ? new NetworkError('timeout', `${host}: timed out`) : new NetworkError('network_error', `${host}: unreachable`);
    }
    if (!isTransientStatus(response.status)) return boundedResponse(response, host);
    const now = options.now();
    const wait = retryAfterMs(response.headers.get('retry-after'), now);
    await response.body?.cancel().catch(() => undefined);
    throw new NetworkError('network_error', `${host}: answered ${response.status}, try again later`, wait ? now + wait : undefined);
  };

  #toTokens(result: oauth.TokenEndpointResponse): ServerTokens {
    for (const token of [result.access_token, result.refresh_token, result.id_token]) {
      if (token !== undefined && token.length > MAX_TOKEN_LENGTH) throw new ProtocolError('invalid_token_response', 'token response: a token is too large');
    }
    const expiresIn = result.expires_in;
    const now = this.#options.now();
    return {
      accessToken: result.access_token,
      tokenType: result.token_type,
      // Bounded as in browser mode: a longer lifetime counts as a day (and 1e308 stays a date).
      expiresAt: typeof expiresIn === 'number' ? now + Math.min(expiresIn, MAX_LIFETIME_SECONDS) * 1000 : 0,
      receivedAt: now,
      ...(result.refresh_token ? { refreshToken: result.refresh_token } : {}),
      ...(result.id_token ? { idToken: result.id_token } : {}),
      ...(result.scope ? { scope: result.scope } : {}),
    };
  }

  #idTokenContext(atLogin: boolean, operation: string) {
    return { alg: this.#options.idTokenSigningAlg, clientId: this.#options.clientId, nowSeconds: Math.floor(this.#options.now() / 1000), toleranceSeconds: 30, atLogin, operation };
  }
}

function isLoopbackUrl(url: URL): boolean {
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** Far above any real token, discovery or revocation answer; past it the provider is broken or hostile. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The response with its body read, refused past {@link MAX_RESPONSE_BYTES} as it streams in (whatever
 * Content-Length says), so a provider cannot make the server buffer and parse an unbounded body.
 */
async function boundedResponse(response: Response, host: string): Promise<Response> {
  const tooLarge = () => new ProtocolError('unexpected_response', `${host}: the answer is too large`);
  if (Number(response.headers.get('content-length')) > MAX_RESPONSE_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return response;
  const body = await readBounded(response.body, MAX_RESPONSE_BYTES);
  if (!body) throw tooLarge();
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
