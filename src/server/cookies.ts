// Reading and writing the server's own cookies. Only names this module is asked for are read, and a
// header or value over the size any browser sends is treated as absent.

/** Browsers cap a cookie at 4096 bytes; anything longer did not come from us. */
export const MAX_COOKIE_BYTES = 4096;
const MAX_HEADER_CHARS = 16_384;

/** The value of cookie `name` in a `Cookie` header, or undefined. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header || header.length > MAX_HEADER_CHARS) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value && value.length <= MAX_COOKIE_BYTES ? value : undefined;
  }
  return undefined;
}

/** Every cookie in the header whose name starts with `prefix`, as [name, value] pairs. */
export function cookiesStartingWith(header: string | null | undefined, prefix: string): [string, string][] {
  if (!header || header.length > MAX_HEADER_CHARS) return [];
  const out: [string, string][] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq).trim();
    if (name.startsWith(prefix)) out.push([name, part.slice(eq + 1).trim()]);
  }
  return out;
}

export interface CookieAttributes {
  /** Seconds; 0 deletes the cookie, undefined makes a browser-session cookie. */
  readonly maxAge?: number;
  readonly secure: boolean;
}

/**
 * A `Set-Cookie` value: always HttpOnly, SameSite=Lax (the cookie must come along on the provider's
 * top-level redirect back to the callback) and Path=/ (required by the `__Host-` prefix).
 */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let out = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax`;
  if (attributes.secure) out += '; Secure';
  if (attributes.maxAge !== undefined) out += `; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`;
  return out;
}
