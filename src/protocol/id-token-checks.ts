import { ProtocolError } from '../errors/errors.js';
import type { User } from '../session/token-set.js';

// An ID token from a code exchange is minted for this login; one issued over an hour ago is a replay.
const LOGIN_ID_TOKEN_MAX_AGE_SECONDS = 3600;

// An ID token meant to outlive a year is not a login's; the bound also keeps `exp` a usable number.
const MAX_ID_TOKEN_LIFETIME_SECONDS = 31_536_000;
// OIDC Core §12.2: a refreshed ID token has the first four exactly as the login's did (`azp` absent if
// it was); the last two, when present, are the original authentication's (`nonce`: errata set 2).
const AS_AT_LOGIN = ['iss', 'sub', 'aud', 'azp', 'auth_time', 'nonce'];

/**
 * Checks oauth4webapi leaves to the client (IT-03, IT-06, IT-14): `iat` not in the future, at login not
 * older than an hour; no audience but ours, an `azp` only if ours; `auth_time` not after `iat`; `exp` within a year of `iat`; `at_hash`, when
 * present, matching the access token it came with. With `original` (the login's claims, on refresh),
 * OIDC Core §12.2 too: same `iss`, `sub`, `aud`, `azp`; `auth_time` and `nonce` the original's if
 * present; `iat` not before the original's.
 */
export async function checkIdToken(
  claims: User | undefined,
  accessToken: string,
  context: { alg: string; clientId: string; nowSeconds: number; toleranceSeconds: number; atLogin: boolean; operation: string; original?: User | undefined },
): Promise<void> {
  if (!claims) return;
  const { iat, exp, auth_time: authTime } = claims as unknown as { iat: number; exp: number; auth_time: number };
  const { nowSeconds: now, toleranceSeconds: tolerance, clientId, original } = context;
  // The first claim that fails, in this order; the hash is computed only when all else holds.
  const failed =
    iat > now + tolerance || (context.atLogin && iat < now - LOGIN_ID_TOKEN_MAX_AGE_SECONDS - tolerance)
      ? 'iat'
      : // OIDC Core §3.1.3.7: no audience we do not trust (we trust only ourselves, step 3); an `azp` names us (step 5).
        [claims.aud].flat().some((aud) => aud !== clientId)
        ? 'aud'
        : claims.azp !== undefined && claims.azp !== clientId
          ? 'azp'
          : authTime > iat + tolerance
            ? 'auth_time'
            : !(exp <= iat + MAX_ID_TOKEN_LIFETIME_SECONDS)
              ? 'exp'
              : (original && refreshedClaimMismatch(claims, original)) ||
                (claims.at_hash !== undefined && claims.at_hash !== (await halfHash(accessToken, context.alg)) ? 'at_hash' : undefined);
  if (failed) throw new ProtocolError('invalid_id_token', context.operation + ': bad ID token "' + failed + '"');
}

/**
 * OIDC Core §12.2, one definition for both modes: the first claim in which a refreshed ID token does
 * not describe the login's authentication (`iss`, `sub`, `aud`, `azp` as at login; `auth_time` and
 * `nonce` the original's when present; `iat` not before the original's), or undefined.
 */
export function refreshedClaimMismatch(claims: User, original: User): string | undefined {
  // Arrays compare by content: `"spa"` and `["spa"]` are the same audience.
  return (claims.iat as number) < (original.iat as number)
    ? 'iat'
    : AS_AT_LOGIN.find((name, i) => (i < 4 || claims[name] !== undefined) && JSON.stringify([claims[name]].flat()) !== JSON.stringify([original[name]].flat()));
}

/** OIDC Core §3.1.3.6: base64url of the left half of the access token's hash, with the JWS algorithm's hash. */
async function halfHash(value: string, alg: string): Promise<string> {
  const bits = /512$|^Ed/.test(alg) ? 512 : /384$/.test(alg) ? 384 : 256;
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-' + bits, new TextEncoder().encode(value)));
  // (Padding only ever ends the text, so every `=` goes.)
  return btoa(String.fromCharCode.apply(null, digest.subarray(0, bits / 16) as unknown as number[]))
    .replace(/=/g, '')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}
