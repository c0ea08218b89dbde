// The app's calls to APIs on behalf of a session (SessionServer.fetch): the session's access token in
// `Authorization`, with a DPoP proof when the token is bound to the server's key, and the two retries
// RFC 9449 §9 and RFC 6750 §3.1 call for, the same rules as the browser's authFetch (src/fetch).
import { isLoopbackHost } from '../client/options.js';
import { LoginRequiredError } from '../errors/errors.js';
import type { ResolvedDPoP } from './options.js';
import type { RelyingParty, ServerTokens } from './relying-party.js';

/**
 * Sends one API request with the session's tokens (`tokens(force)`: fresh ones, or refreshed ones when
 * `force`), as {@link SessionServer.fetch} documents: a nonce challenge is answered once, an
 * `invalid_token` challenge refreshes and sends once more, everything else comes back untouched.
 */
export async function sessionFetch(
  rp: RelyingParty,
  dpop: ResolvedDPoP | undefined,
  tokens: (force: boolean) => Promise<ServerTokens>,
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  // Never a token in plain text across a network (as for the provider's endpoints).
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new TypeError(`SessionServer.fetch: ${url.origin} must be https: (http: only on loopback hosts)`);
  }
  // Ours to set: the caller's own Authorization or DPoP would be sent beside, or instead of, the session's.
  const headers = new Headers(request.headers);
  headers.delete('authorization');
  headers.delete('dpop');
  // Read once, so that a retry can send it again (a stream can be read only once).
  const body = request.body ? await request.arrayBuffer() : undefined;
  return sendWithSessionToken(rp, dpop, tokens, { method: request.method, url, headers, body, signal: request.signal }, () => true);
}

/** One request to a resource server, as {@link sendWithSessionToken} sends it (the token and proof added). */
export interface ResourceRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  /** A buffer can be sent again; a stream only once. */
  readonly body: ArrayBuffer | ReadableStream<Uint8Array> | undefined;
  readonly signal: AbortSignal;
}

/**
 * Sends `parts` with the session's token (`tokens(force)`), answering a DPoP nonce challenge once and
 * an `invalid_token` challenge with one refresh, as {@link SessionServer.fetch} documents; a retry only
 * while `replayable()` says the body can be sent again (when it cannot, the tokens are still refreshed,
 * so the caller's next request carries good ones). Every other response comes back untouched.
 * @param check - runs with the tokens before anything is sent (e.g. a scope check); may throw.
 */
export async function sendWithSessionToken(
  rp: RelyingParty,
  dpop: ResolvedDPoP | undefined,
  tokens: (force: boolean) => Promise<ServerTokens>,
  parts: ResourceRequest,
  replayable: () => boolean,
  check?: (tokens: ServerTokens) => void,
): Promise<Response> {
  const usable = usableTokens(dpop, tokens);

  let current = await usable(false);
  check?.(current);
  let nonceRetried = false;
  let refreshed = false;
  for (;;) {
    const { response, challenges, proof } = await rp.resourceRequest(current, parts);
    if (response.status !== 401) return response;
    const again = replayable();
    if (again && proof && !nonceRetried && response.headers.has('dpop-nonce') && challenges.some((c) => c.scheme === 'dpop' && c.parameters.error === 'use_dpop_nonce')) {
      // The handle kept the nonce from this answer: the next proof carries it.
      nonceRetried = true;
      await response.body?.cancel().catch(() => undefined);
      continue;
    }
    if (!refreshed && challenges.some((c) => c.parameters.error === 'invalid_token')) {
      if (!again) {
        // A refusal ends the session: the caller's next request then gets login_required, not this 401 again.
        await usable(true).catch(() => undefined);
        return response;
      }
      refreshed = true;
      await response.body?.cancel().catch(() => undefined);
      current = await usable(true);
      continue;
    }
    return response;
  }
}

/**
 * `tokens` narrowed to ones this server can present: DPoP-bound when DPoP is on (unless Bearer is
 * allowed), not bound when off. Tokens from before the `dpop` option changed get one refresh, which
 * binds new ones the way the server now works; a session whose tokens still do not fit ends.
 */
export function usableTokens(dpop: ResolvedDPoP | undefined, tokens: (force: boolean) => Promise<ServerTokens>): (force: boolean) => Promise<ServerTokens> {
  const fits = (t: ServerTokens) => (t.tokenType.toLowerCase() === 'dpop' ? dpop !== undefined : dpop === undefined || dpop.allowBearer);
  return async (force) => {
    let current = await tokens(force);
    if (!fits(current) && !force) current = await tokens(true);
    if (!fits(current)) throw new LoginRequiredError(`the session's ${current.tokenType} token does not fit this server's DPoP setting`);
    return current;
  };
}
