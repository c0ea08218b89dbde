// Reading and writing the server's own cookies. Only names this module is asked for are read, and a
// header or value over the size any browser sends is treated as absent.

/** Browsers cap a cookie at 4096 bytes; anything longer did not come from us. */
export const MAX_COOKIE_BYTES = 4096;
const MAX_HEADER_CHARS = 16_384;

/**
 * The cookie-pairs of a `Cookie` header, as RFC 6265bis §5.6 splits a name-value-pair (the
 * cookie-string of §5.8.3 is such pairs joined by "; "): a pair without "=" is a nameless cookie,
 * and only WSP (SP and HTAB) is removed around names and values. Not `String.trim()`: it also strips
 * U+00A0, U+FEFF and the other Unicode spaces, which would let `\u00a0__Host-x`, a cookie a sibling
 * subdomain may set, pass for `__Host-x`.
 */
function cookiePairs(header: string | null | undefined): [name: string, value: string][] {
  if (!header || header.length > MAX_HEADER_CHARS) return [];
  return header.split(';').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? ['', withoutWsp(part)] : [withoutWsp(part.slice(0, eq)), withoutWsp(part.slice(eq + 1))];
  });
}

function withoutWsp(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * The value of cookie `name` (compared byte for byte) in a `Cookie` header, or undefined. A name
 * carried more than once reads as absent: one copy may be ours and the other tossed in by a sibling
 * domain, or both tossed, and nothing in the header tells which.
 */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  const values = cookiePairs(header).filter(([candidate]) => candidate === name);
  const value = values.length === 1 ? values[0]?.[1] : undefined;
  return value && value.length <= MAX_COOKIE_BYTES ? value : undefined;
}

/** Every cookie in the header whose name starts with `prefix` (byte for byte), as [name, value] pairs. */
export function cookiesStartingWith(header: string | null | undefined, prefix: string): [string, string][] {
  return cookiePairs(header).filter(([name]) => name !== '' && name.startsWith(prefix));
}

export interface CookieAttributes {
  /** Seconds; 0 deletes the cookie, undefined makes a browser-session cookie. */
  readonly maxAge?: number;
  readonly secure: boolean;
  /** Default `Lax`, which the pending-login cookie needs (it must come along on the provider's redirect back). */
  readonly sameSite?: 'Strict' | 'Lax';
}

/**
 * A `Set-Cookie` value: always HttpOnly, Path=/ (required by the `__Host-` prefix) and SameSite as
 * asked (`Lax` by default).
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let out = `${name}=${value}; Path=/; HttpOnly; SameSite=${attributes.sameSite ?? 'Lax'}`;
  if (attributes.secure) out += '; Secure';
  if (attributes.maxAge !== undefined) out += `; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`;
  return out;
}
