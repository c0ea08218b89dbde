// The path and query of the request target Node hands over (`req.url`), as the URL parser reads it.
/**
 * Origin-form targets the URL parser hands back unchanged: segments of RFC 3986 unreserved characters,
 * sub-delims, `:` and `@` (no `%`, no backslash), and a query of those, `/`, `?` and `%` (the parser
 * leaves `%` alone in a query, and encodes `'` there). Dot segments are checked apart.
 */
const VERBATIM_TARGET = /^(\/[\w\-.~!$&'()*+,;=:@]*)+(\?[\w\-.~!$&()*+,;=:@/?%]*)?$/;
const DOT_SEGMENT = /\/\.\.?(\/|\?|$)/;

/**
 * The path and query of a request target: origin-form (`/path?query`), or absolute-form, which a
 * server MUST accept (RFC 9112 §3.2.2). Concatenated onto a placeholder origin, never resolved
 * against one, so `//host/path` stays a path; a target the parser would hand back unchanged is split
 * without it (a parse per request cost the proxy a tenth of its time, bench:server). Undefined for
 * anything else (`*`, authority-form).
 */
export function requestTarget(raw = '/'): { pathname: string; search: string; pathAndQuery: string } | undefined {
  if (VERBATIM_TARGET.test(raw) && !DOT_SEGMENT.test(raw)) {
    const query = raw.indexOf('?');
    const pathname = query < 0 ? raw : raw.slice(0, query);
    // An empty query (`/path?`) is no query to the parser either.
    const search = query < 0 || query === raw.length - 1 ? '' : raw.slice(query);
    return { pathname, search, pathAndQuery: pathname + search };
  }
  try {
    const url = raw.startsWith('/') ? new URL(`http://localhost${raw}`) : /^https?:\/\//i.test(raw) ? new URL(raw) : undefined;
    return url && { pathname: url.pathname, search: url.search, pathAndQuery: url.pathname + url.search };
  } catch {
    return undefined;
  }
}

