// A logout token checked as OpenID Connect Back-Channel Logout 1.0 §2.6 says, before any session ends:
// the signature against the provider's keys (jose: kid selection, and a refetch of the JWKS when the
// provider rotated to a key not seen yet), then every claim. Anything short of that is a refusal.
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How old (by `iat`) a logout token may be: the spec suggests providers issue them for two minutes at most (§4). */
export const MAX_LOGOUT_TOKEN_AGE_SECONDS = 300;
/** Clocks of the provider and this server disagree by up to this much. */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** Far above any real logout token (a few hundred bytes to a few KiB). */
export const MAX_LOGOUT_TOKEN_CHARS = 16_384;
const MAX_CLAIM_CHARS = 1024;

/** What a valid logout token says: which sessions to end. At least one of `sid` and `sub`. */
export interface LogoutClaims {
  readonly jti: string;
  readonly sid?: string;
  readonly sub?: string;
  /** Epoch ms until which this token could be accepted: its `jti` is remembered that long. */
  readonly acceptableUntil: number;
}

/** A logout token that is not one this server accepts; `reason` names the check (never echoes the token). */
export class LogoutTokenError extends Error {
  override name = 'LogoutTokenError';
  constructor(readonly reason: string) {
    super(`logout token: ${reason}`);
  }
}

export interface LogoutTokenContext {
  readonly issuer: string;
  readonly clientId: string;
  /** The one signing algorithm accepted: the client's `id_token_signed_response_alg` (§2.6 step 3, via OIDC Core §3.1.3.7). */
  readonly alg: string;
  readonly keys: JWTVerifyGetKey;
  readonly now: number;
}

/**
 * The claims of a valid logout token.
 * @throws {@link LogoutTokenError} for any token that fails a check; whatever the key lookup throws
 *   when the provider's keys cannot be fetched (the caller tells those apart: they are not the token's fault).
 */
export async function verifyLogoutToken(token: string, context: LogoutTokenContext): Promise<LogoutClaims> {
  if (token.length > MAX_LOGOUT_TOKEN_CHARS) throw new LogoutTokenError('too large');
  // A JWE (five parts) would be an encrypted token: this server registers no encryption key.
  if (token.split('.').length !== 3) throw new LogoutTokenError('not a signed JWT');
  let payload: JWTPayload;
  let typ: unknown;
  try {
    const verified = await jwtVerify(token, context.keys, {
      issuer: context.issuer,
      audience: context.clientId,
      algorithms: [context.alg],
      currentDate: new Date(context.now),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_LOGOUT_TOKEN_AGE_SECONDS,
      // exp is REQUIRED in the final text (§2.4); drafts before it had none, and no provider we know omits it.
      requiredClaims: ['iat', 'exp', 'jti'],
    });
    payload = verified.payload;
    typ = verified.protectedHeader.typ;
  } catch (error) {
    throw refusal(error);
  }
  // Explicit typing (§2.4, §4.1): an ID token or access token (`JWT`, `at+jwt`, ...) is not a logout token.
  if (typ !== undefined && !(typeof typ === 'string' && /^((application\/)?logout\+jwt|JWT)$/i.test(typ))) throw new LogoutTokenError('typ');
  const { jti, sid, sub, events, nonce, azp, aud, exp, iat } = payload as JWTPayload & Record<string, unknown>;
  // OIDC Core §3.1.3.7 steps 4 and 5, which §2.6 step 3 brings in: several audiences need azp to be us.
  if (Array.isArray(aud) && aud.length > 1 && azp !== context.clientId) throw new LogoutTokenError('azp');
  if (azp !== undefined && azp !== context.clientId) throw new LogoutTokenError('azp');
  if (!isShortString(jti)) throw new LogoutTokenError('jti');
  // §2.6 step 5: `events` is an object whose back-channel logout member is an object too (§2.4).
  const event = isObject(events) ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (!isObject(event)) throw new LogoutTokenError('events');
  // §2.6 step 6, and §4.1: a token with a nonce could be an ID token.
  if (nonce !== undefined) throw new LogoutTokenError('nonce');
  // §2.6 step 4: which sessions, by `sid` or `sub` or both, as non-empty strings.
  if (sid !== undefined && !isShortString(sid)) throw new LogoutTokenError('sid');
  if (sub !== undefined && !isShortString(sub)) throw new LogoutTokenError('sub');
  if (sid === undefined && sub === undefined) throw new LogoutTokenError('neither sid nor sub');
  const issuedUntil = ((iat as number) + MAX_LOGOUT_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000;
  const expiresUntil = ((exp as number) + CLOCK_TOLERANCE_SECONDS) * 1000;
  return {
    jti: jti as string,
    ...(sid === undefined ? {} : { sid: sid as string }),
    ...(sub === undefined ? {} : { sub: sub as string }),
    acceptableUntil: Math.min(issuedUntil, expiresUntil),
  };
}

/** A jose failure as a refusal; the key lookup's own failures (the JWKS unreachable) pass through. */
function refusal(error: unknown): unknown {
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) return new LogoutTokenError(error.claim);
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return error;
  if (error instanceof errors.JOSEError) return new LogoutTokenError(error.code === 'ERR_JWKS_NO_MATCHING_KEY' ? 'no key of the provider matches' : 'signature or format');
  // A NetworkError or ProtocolError from fetching the keys: not the token's fault.
  return error instanceof Error && 'code' in error ? error : new LogoutTokenError('signature or format');
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_CHARS;
}
