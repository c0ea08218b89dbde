/**
 * Where the app sends the user after login: the one normalisation of return targets for the browser
 * client, session-server mode and the session server. Only paths on the app's own origin are accepted,
 * so a `returnTo` taken from a query string cannot turn the app into an open redirector.
 */

// Control characters and backslashes are how `/\evil.test` and `/<TAB>/evil.test` sneak past naive checks.
const SUSPICIOUS = /[\u0000-\u001f\u007f\\]/;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The same-origin path (`/path?query#hash`) that `value` names, or `undefined` when `value` is not a
 * same-origin http(s) path or URL. The path starts with one `/` and never `//` or `/\`, so it stays on
 * the app's origin whether it is appended to the origin or resolved against it again.
 */
export function sameOriginPath(value: unknown, appOrigin: string): string | undefined {
  if (typeof value !== 'string' || value === '' || SUSPICIOUS.test(value)) return undefined;
  let url: URL;
  try {
    // With a scheme the value must stand alone: `https:evil.test` is not a path on our origin.
    url = HAS_SCHEME.test(value) ? new URL(value) : new URL(value, appOrigin);
  } catch {
    return undefined;
  }
  // Dot segments are gone now: `/.//evil.test`, `/%2e//evil.test` and `https://app//evil.test` all have
  // the path `//evil.test`, which a later `new URL(path, origin)` or `location.assign(path)` reads as a host.
  if (url.origin !== appOrigin || (url.protocol !== 'https:' && url.protocol !== 'http:') || /^\/[/\\]/.test(url.pathname)) return undefined;
  return url.pathname + url.search + url.hash;
}
