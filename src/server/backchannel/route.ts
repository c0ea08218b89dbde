// `POST backchannel-logout`: the provider tells this server, directly, that a user's session with it
// ended (OpenID Connect Back-Channel Logout 1.0). No cookie and no browser are involved: the signed
// logout token is the whole authority, so nothing happens before it passed every check.
import { isAuthError } from '../../errors/errors.js';
import { readBounded } from '../http-messages.js';
import type { ResolvedServerOptions } from '../options.js';
import type { RelyingParty } from '../relying-party.js';
import type { Sessions } from '../sessions.js';
import { LogoutTokenError, MAX_LOGOUT_TOKEN_CHARS, verifyLogoutToken } from './logout-token.js';

/** A form with one logout token and little else; past this the request is refused unread. */
const MAX_BODY_BYTES = MAX_LOGOUT_TOKEN_CHARS + 1024;

/**
 * Answers a back-channel logout request (§2.5): 200 once the matching sessions have ended (none may
 * match: an unknown `sid` is a logout already done), else 400 with a JSON `invalid_request` (§2.8),
 * also when this server could not complete it (its store or the provider's keys unreachable: the spec
 * has no other status for a failed logout). Never cached (§2.8: `Cache-Control: no-store`).
 */
export async function backchannelLogout(request: Request, options: ResolvedServerOptions, rp: RelyingParty, sessions: Sessions): Promise<Response> {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return refused('expected an application/x-www-form-urlencoded body');
  const body = Number(request.headers.get('content-length')) > MAX_BODY_BYTES ? undefined : await readBounded(request.body, MAX_BODY_BYTES);
  if (body === undefined) return refused('the body is too large');
  const tokens = new URLSearchParams(new TextDecoder().decode(body)).getAll('logout_token');
  // One token: with two, which one would the provider mean (RFC 6749 §3.1's rule for parameters)?
  if (tokens.length !== 1 || !tokens[0]) return refused(tokens.length > 1 ? 'logout_token is repeated' : 'logout_token is missing');
  let claims: Awaited<ReturnType<typeof verifyLogoutToken>>;
  try {
    claims = await verifyLogoutToken(tokens[0], {
      // As discovery gave it (checked there to be the configured one): the exact string `iss` must be.
      issuer: (await rp.metadata()).issuer,
      clientId: options.clientId,
      alg: options.idTokenSigningAlg,
      keys: await rp.providerKeys(),
      now: options.now(),
    });
  } catch (error) {
    if (error instanceof LogoutTokenError) return refused(error.message);
    return refused(isAuthError(error) ? 'the provider\'s keys could not be fetched' : 'the logout token could not be checked');
  }
  // §2.6 step 7: a token is good once. Remembered until no clock would accept it any more.
  let release: (() => Promise<void>) | undefined;
  try {
    release = await sessions.claimLogoutToken(claims.jti, claims.acceptableUntil);
    if (!release) return refused('logout token: jti was used before');
    await sessions.endSessions(claims, 'provider');
  } catch {
    // Not done: the provider may send the same token again, and then it must be accepted.
    await release?.().catch(() => undefined);
    return refused('the session store is unavailable');
  }
  return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
}

function refused(description: string): Response {
  return new Response(JSON.stringify({ error: 'invalid_request', error_description: description }), {
    status: 400,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
