import { ProtocolError } from './errors.js';
import type { User } from './token-set.js';

// An ID token from a code exchange is minted for this login; one issued over an hour ago is a replay.
const LOGIN_ID_TOKEN_MAX_AGE_SECONDS = 3600;

/**
 * Checks oauth4webapi leaves to the client (IT-06, IT-14): `iat` not in the future, at login not
 * older than an hour, and `at_hash`, when present, matching the access token it came with.
 */
export async function checkIdToken(
  claims: User | undefined,
  accessToken: string,
  context: { alg: string; nowSeconds: number; toleranceSeconds: number; atLogin: boolean; operation: string },
): Promise<void> {
  if (!claims) return;
  const iat = claims.iat as number;
  const { nowSeconds: now, toleranceSeconds: tolerance } = context;
  if (iat > now + tolerance || (context.atLogin && iat < now - LOGIN_ID_TOKEN_MAX_AGE_SECONDS - tolerance)) {
    throw new ProtocolError('invalid_id_token', `${context.operation}: ID token "iat" out of range`);
  }
  if (claims.at_hash !== undefined && claims.at_hash !== (await halfHash(accessToken, context.alg))) {
    throw new ProtocolError('invalid_id_token', `${context.operation}: ID token "at_hash" mismatch`);
  }
}

/** OIDC Core §3.1.3.6: base64url of the left half of the access token's hash, with the JWS algorithm's hash. */
async function halfHash(value: string, alg: string): Promise<string> {
  const bits = /512$|^Ed/.test(alg) ? 512 : /384$/.test(alg) ? 384 : 256;
  const digest = new Uint8Array(await crypto.subtle.digest(`SHA-${bits}`, new TextEncoder().encode(value)));
  return btoa(String.fromCharCode(...digest.subarray(0, bits / 16)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
