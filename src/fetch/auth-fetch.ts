import { clientInternals } from '../client/internals.js';
import { ConfigError, LoginRequiredError } from '../errors/errors.js';
import type { GetAccessTokenOptions } from '../client/client.js';
import { secureUrl } from '../client/options.js';
import { parseChallenges } from './challenges.js';

/** What {@link authFetch} needs of a client: an `AuthClient`, or a session-server-mode client. */
export interface TokenSource {
  getAccessToken(options?: GetAccessTokenOptions): Promise<string>;
}

/** Options of {@link authFetch}. */
export interface AuthFetchOptions {
  /** Sends the requests. Default `globalThis.fetch`, looked up on each call. */
  fetch?: (request: Request) => Promise<Response>;
}

/** A `fetch` for the app's API that signs in each request; see {@link authFetch}. */
export interface AuthFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /**
   * The headers for one request sent by another HTTP client (axios, ky, a WebSocket handshake):
   * `Authorization`, and with DPoP a `DPoP` proof valid for this method and URL only, once. Nonce
   * challenges and `invalid_token` retries are then the caller's.
   */
  headers(url: string | URL, method?: string): Promise<Record<string, string>>;
}

/**
 * A `fetch` for the app's own API: each request gets a valid access token (the cached one while it is
 * fresh, so no provider request), in `Authorization: DPoP …` with a proof when the session's tokens are
 * DPoP-bound (`dpop: dpop()`), else `Bearer …`.
 *
 * - A 401 whose `WWW-Authenticate` has DPoP's `use_dpop_nonce` (scheme in any case) is sent once more,
 *   with a new proof carrying the server's nonce (RFC 9449 §9).
 * - A 401 with `error="invalid_token"` refreshes the token once and sends the request once more
 *   (RFC 6750 §3.1).
 * - The body is read once up front, so either retry can send it again.
 * - Every other response, errors included, comes back untouched.
 *
 * @param auth An `AuthClient` (or a session-server-mode client, whose tokens are Bearer).
 * @throws {@link ConfigError} for a URL that is not `https:` (or `http:` on a loopback host);
 *   {@link LoginRequiredError} when there is no session, or its DPoP key is gone (the session is then
 *   ended); what `getAccessToken()` throws; what `fetch` throws.
 */
export function authFetch(auth: TokenSource, options: AuthFetchOptions = {}): AuthFetch {
  if (typeof auth?.getAccessToken !== 'function') throw new ConfigError('auth', 'expected an AuthClient');
  const send = (request: Request) => (options.fetch ?? globalThis.fetch)(request);

  /** The `Authorization` (and `DPoP`) headers for `token` on this request. */
  const sign = async (token: string, method: string, url: URL): Promise<Record<string, string>> => {
    const internals = clientInternals.get(auth);
    const dpop = internals?.options_.dpop;
    const proof = await dpop?.proof_(token, method, url);
    if (proof) return { authorization: 'DPoP ' + token, dpop: proof };
    // A DPoP-bound token whose key is gone: never sent as Bearer (RFC 9449 §7.1). Renewing ends the
    // session (no key, no refresh), so the app hears `logout` and can sign in again.
    if (internals?.record_()?.tokenType === 'dpop') {
      await auth.getAccessToken({ forceRefresh: true }).catch(() => undefined);
      throw new LoginRequiredError('the DPoP key of this session is gone');
    }
    return { authorization: 'Bearer ' + token };
  };

  const call = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = checkedUrl(request.url);
    // Read once, so that a retry can send it again (a stream can be read only once). Decided by method,
    // not by reading `request.body`: once that getter has been read, Firefox refuses a second
    // `new Request(request, { body })`.
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
    let token = await auth.getAccessToken();
    let nonceRetried = false;
    let refreshed = false;
    for (;;) {
      const headers = new Headers(request.headers);
      const signed = await sign(token, request.method, url);
      for (const [name, value] of Object.entries(signed)) headers.set(name, value);
      const response = await send(new Request(request, { headers, ...(body ? { body } : {}) }));
      if (signed.dpop) clientInternals.get(auth)?.options_.dpop?.nonce_(response, url);
      if (response.status !== 401) return response;
      const challenges = parseChallenges(response.headers.get('www-authenticate'));
      if (signed.dpop && !nonceRetried && response.headers.has('dpop-nonce') && challenges.some((c) => c.scheme === 'dpop' && c.params.error === 'use_dpop_nonce')) {
        nonceRetried = true;
        continue;
      }
      if (!refreshed && challenges.some((c) => c.params.error === 'invalid_token')) {
        refreshed = true;
        token = await auth.getAccessToken({ forceRefresh: true });
        continue;
      }
      return response;
    }
  };

  return Object.assign(call, {
    headers: async (url: string | URL, method = 'GET') => sign(await auth.getAccessToken(), method, checkedUrl(new URL(url, globalThis.location?.href).href)),
  });
}

/**
 * Tokens travel over TLS only (RFC 6750 §5.3, RFC 9449 §11.1): an `https:` URL, or `http:` on a
 * loopback host for local development. Anything else is refused before a token is read.
 */
function checkedUrl(href: string): URL {
  const url = secureUrl(href);
  if (!url) throw new ConfigError('url', 'an access token is sent over https: only (http: on loopback hosts)');
  return url;
}
