import * as oauth from 'oauth4webapi';
import { NetworkError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** The oauth4webapi client description: our client id, the pinned algorithm and our clock. */
export function oauthClient(options: ResolvedOptions): oauth.Client {
  return {
    client_id: options.clientId,
    // Pinned: with it unset oauth4webapi would trust the provider's metadata list (which may say "none").
    id_token_signed_response_alg: options.idTokenSigningAlg,
    // The `now` seam drives oauth4webapi's checks too, so tests and apps see one clock.
    [oauth.clockSkew]: Math.round((options.now() - Date.now()) / 1000),
    [oauth.clockTolerance]: options.clockToleranceSeconds,
  };
}

/**
 * Options for one request to the provider: a deadline, the `fetch` seam, and plain HTTP only for a
 * loopback development issuer. Transport failures leave here as {@link NetworkError}, so anything
 * else that goes wrong later is a protocol problem.
 */
export function httpOptions(options: ResolvedOptions, extra: { keepalive?: boolean } = {}) {
  const host = options.issuer.host;
  return {
    signal: AbortSignal.timeout(options.requestTimeoutMs),
    [oauth.allowInsecureRequests]: options.allowInsecureRequests,
    [oauth.customFetch]: async (url: string, init: oauth.CustomFetchOptions<string, unknown>): Promise<Response> => {
      const fetchImpl = options.fetch ?? globalThis.fetch;
      try {
        return await fetchImpl(url, { ...(init as RequestInit), ...(extra.keepalive ? { keepalive: true } : {}) });
      } catch (error) {
        throw isTimeout(error)
          ? new NetworkError('timeout', `request to ${host} timed out`)
          : new NetworkError('network_error', `request to ${host} failed`);
      }
    },
  };
}

/** True for the errors an aborted or timed-out fetch (or body read) rejects with. */
export function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}
