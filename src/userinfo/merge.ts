import type { User } from '../session/token-set.js';

// What identifies the user, the token and its session comes from the validated ID token only.
const ID_TOKEN_ONLY = 'iss aud sub exp iat nonce auth_time azp at_hash sid __proto__'.split(' ');

/**
 * A new object: the ID token's claims, with the UserInfo claims added. Those in `ID_TOKEN_ONLY` are
 * skipped; so is a `__proto__` member, which a later `Object.assign` would turn into a prototype.
 */
export function mergeClaims(user: User, claims: Record<string, unknown>): User {
  const merged: Record<string, unknown> = { ...user };
  for (const [name, value] of Object.entries(claims)) if (!ID_TOKEN_ONLY.includes(name)) merged[name] = value;
  return merged as User;
}
