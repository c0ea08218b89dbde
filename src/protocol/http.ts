import * as oauth from 'oauth4webapi';
import { AuthError, NetworkError, ProtocolError } from '../errors/errors.js';
import type { ResolvedOptions } from '../client/options.js';
import { isTransientStatus, retryAfterMs } from './retry-policy.js';

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
 * Sends one request to the provider: a GET, or a form POST when `form` is given, always with a
 * deadline and never following a redirect (a redirected token request would carry the code and
 * verifier elsewhere; the 3xx reaches oauth4webapi's response checks and is refused there).
 * Endpoints were checked to be https: (or loopback http: in development) when discovered.
 * Transport failures leave here as {@link NetworkError}; the response is validated by the caller
 * with oauth4webapi's `process*` functions.
 */
export async function requestProvider(
  options: ResolvedOptions,
  url: string,
  form?: Record<string, string>,
  keepalive = false,
): Promise<Response> {
  // DPoP's fetch adds the proof, answers a nonce challenge and checks the token type.
  const fetchImpl = options.dpop?.fetch_(options) ?? options.fetch ?? globalThis.fetch;
  const host = options.issuer.host;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: form ? 'POST' : 'GET',
      headers: { accept: 'application/json' },
      // A URLSearchParams body sets the form content type itself.
      ...(form ? { body: new URLSearchParams({ ...form, client_id: options.clientId }) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.requestTimeoutMs_),
      keepalive,
    });
  } catch (error) {
    // A typed error is a feature's verdict on the answer (a downgrade to Bearer, a lost DPoP key).
    throw error instanceof AuthError
      ? error
      : isTimeout(error)
      ? new NetworkError('timeout', 'request to ' + host + ' timed out')
      : new NetworkError('network_error', 'request to ' + host + ' failed');
  }
  // 429 and every 5xx say "try again later", like a dropped connection: keep the session, back off.
  // `retryAt` carries the provider's Retry-After (capped at an hour), readable when CORS exposes it.
  if (isTransientStatus(response.status)) {
    const now = options.now();
    throw new NetworkError('network_error', host + ' is unavailable (' + response.status + ')', now + retryAfterMs(response.headers.get('retry-after'), now));
  }
  // A body declared over 1 MiB is never read (no real answer comes near); an undeclared one is bounded by the deadline.
  if (Number(response.headers.get('content-length')) > 1 << 20) throw new ProtocolError('unexpected_response', host + ': answer too large');
  return response;
}

/** True for the errors an aborted or timed-out fetch (or body read) rejects with. */
export function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}
