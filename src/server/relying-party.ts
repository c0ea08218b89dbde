// The OpenID Connect side of the session server: discovery, the authorization URL, the code
// exchange, refresh, revocation and the end-session URL, all through oauth4webapi's request builders
// and response checks (on the server, bundle size is no reason to hand-write requests).
import * as oauth from 'oauth4webapi';
import { ProtocolError } from '../errors.js';
import { checkIdToken } from '../id-token-checks.js';
import { toAuthError } from '../map-error.js';
import { tokenErrorCode } from '../callback.js';
import { MAX_TOKEN_LENGTH, type User } from '../token-set.js';
import type { ResolvedServerOptions } from './options.js';

/** Tokens as the server keeps them (sealed at rest). */
export interface ServerTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  /** Epoch ms; 0 when the provider did not say. */
  readonly expiresAt: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
}

/** What a pending login must remember across the redirect. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly maxAge?: number;
}

// Metadata rarely changes; an hour bounds how long a moved endpoint goes unnoticed.
const METADATA_TTL_MS = 3_600_000;

export class RelyingParty {
  readonly #options: ResolvedServerOptions;
  #metadata: { value: Promise<oauth.AuthorizationServer>; at: number } | undefined;

  constructor(options: ResolvedServerOptions) {
    this.#options = options;
  }

  /** Provider metadata, fetched once an hour (and again after a failed fetch). */
  metadata(): Promise<oauth.AuthorizationServer> {
    const now = this.#options.now();
    if (!this.#metadata || now - this.#metadata.at > METADATA_TTL_MS) {
      const value = this.#discover();
      this.#metadata = { value, at: now };
      value.catch(() => (this.#metadata = undefined));
    }
    return this.#metadata.value;
  }

  async #discover(): Promise<oauth.AuthorizationServer> {
    const operation = `discovery at ${this.#options.issuer.host}`;
    try {
      const response = await oauth.discoveryRequest(this.#options.issuer, { ...this.#requestOptions(), algorithm: 'oidc' });
      const metadata = await oauth.processDiscoveryResponse(this.#options.issuer, response);
      if (typeof metadata.authorization_endpoint !== 'string' || typeof metadata.token_endpoint !== 'string') {
        throw new ProtocolError('invalid_discovery', `${operation}: no authorization or token endpoint`);
      }
      return metadata;
    } catch (error) {
      throw toAuthError(error, operation, 'invalid_discovery');
    }
  }

  /** A new pending login and the URL to send the browser to. */
  async authorizationUrl(returnTo: string, params: Readonly<Record<string, string>>): Promise<{ url: string; pending: PendingLogin }> {
    const metadata = await this.metadata();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const pending: PendingLogin = { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), codeVerifier, returnTo };
    const url = new URL(metadata.authorization_endpoint as string);
    const search = url.searchParams;
    for (const [key, value] of Object.entries({ ...this.#options.authorizationParams, ...params })) search.set(key, value);
    search.set('client_id', this.#options.clientId);
    search.set('redirect_uri', this.#options.redirectUri);
    search.set('response_type', 'code');
    search.set('scope', this.#options.scope);
    search.set('state', pending.state);
    search.set('nonce', pending.nonce);
    search.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    search.set('code_challenge_method', 'S256');
    const maxAge = search.get('max_age');
    return { url: url.href, pending: maxAge && /^\d+$/.test(maxAge) ? { ...pending, maxAge: Number(maxAge) } : pending };
  }

  /** Validates the callback against its pending login, redeems the code, validates the ID token. */
  async redeem(callback: URL, pending: PendingLogin): Promise<{ tokens: ServerTokens; user: User }> {
    const metadata = await this.metadata();
    const operation = `code exchange at ${this.#options.issuer.host}`;
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(metadata, this.#client(), callback.searchParams, pending.state);
    } catch (error) {
      throw toAuthError(error, 'login', /"iss"/.test(String((error as Error)?.message)) ? 'issuer_mismatch' : 'invalid_callback');
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        metadata,
        this.#client(),
        this.#clientAuth(metadata),
        params,
        this.#options.redirectUri,
        pending.codeVerifier,
        this.#requestOptions(),
      );
      const result = await oauth.processAuthorizationCodeResponse(metadata, this.#client(), response, {
        expectedNonce: pending.nonce,
        requireIdToken: true,
        ...(pending.maxAge === undefined ? {} : { maxAge: pending.maxAge }),
      });
      const user = oauth.getValidatedIdTokenClaims(result) as User;
      const tokens = this.#toTokens(result);
      await checkIdToken(user, tokens.accessToken, this.#idTokenContext(true, operation));
      return { tokens, user };
    } catch (error) {
      throw toAuthError(error, operation, tokenErrorCode(error));
    }
  }

  /** The refresh-token grant. A response without a new refresh token keeps the old one. */
  async refresh(previous: ServerTokens): Promise<ServerTokens> {
    const metadata = await this.metadata();
    const operation = `refresh at ${this.#options.issuer.host}`;
    if (!previous.refreshToken) throw new ProtocolError('invalid_token_response', `${operation}: no refresh token`);
    try {
      const response = await oauth.refreshTokenGrantRequest(metadata, this.#client(), this.#clientAuth(metadata), previous.refreshToken, this.#requestOptions());
      const result = await oauth.processRefreshTokenResponse(metadata, this.#client(), response);
      const next = this.#toTokens(result);
      await checkIdToken(oauth.getValidatedIdTokenClaims(result) as User | undefined, next.accessToken, this.#idTokenContext(false, operation));
      const idToken = next.idToken ?? previous.idToken;
      return { ...next, refreshToken: next.refreshToken ?? previous.refreshToken, ...(idToken ? { idToken } : {}) };
    } catch (error) {
      throw toAuthError(error, operation, tokenErrorCode(error));
    }
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

  #client(): oauth.Client {
    return {
      client_id: this.#options.clientId,
      id_token_signed_response_alg: this.#options.idTokenSigningAlg,
      [oauth.clockSkew]: Math.round((this.#options.now() - Date.now()) / 1000),
    };
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

  #requestOptions() {
    const options = this.#options;
    return {
      signal: () => AbortSignal.timeout(options.requestTimeoutMs),
      ...(options.issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
      ...(options.fetch ? { [oauth.customFetch]: options.fetch as never } : {}),
    };
  }

  #toTokens(result: oauth.TokenEndpointResponse): ServerTokens {
    for (const token of [result.access_token, result.refresh_token, result.id_token]) {
      if (token !== undefined && token.length > MAX_TOKEN_LENGTH) throw new ProtocolError('invalid_token_response', 'token response: a token is too large');
    }
    const expiresIn = result.expires_in;
    return {
      accessToken: result.access_token,
      tokenType: result.token_type,
      expiresAt: typeof expiresIn === 'number' ? this.#options.now() + expiresIn * 1000 : 0,
      ...(result.refresh_token ? { refreshToken: result.refresh_token } : {}),
      ...(result.id_token ? { idToken: result.id_token } : {}),
      ...(result.scope ? { scope: result.scope } : {}),
    };
  }

  #idTokenContext(atLogin: boolean, operation: string) {
    return { alg: this.#options.idTokenSigningAlg, nowSeconds: Math.floor(this.#options.now() / 1000), toleranceSeconds: 30, atLogin, operation };
  }
}
