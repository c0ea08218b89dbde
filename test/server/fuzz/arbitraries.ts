// fast-check generators for hostile HTTP requests to the session server, and the RFC 6265bis model
// of the Cookie header the properties judge responses by.
import fc from 'fast-check';
import type { RawRequest } from './raw-http.js';

/** What the generators need to know about the app under test. */
export interface FuzzContext {
  appOrigin: string;
  cookieName: string;
  /** A live session cookie value (from a real login). */
  validSession: string;
}

/** A Latin-1 string: each character is one byte on the wire. */
const latin1 = (min: number, max: number, options: { maxLength: number; minLength?: number }) =>
  fc.string({ unit: fc.integer({ min, max }).map((code) => String.fromCharCode(code)), ...options });

/** Bytes Node's parser lets through in a header value: HTAB, visible ASCII, SP and obs-text (0x80-0xFF). */
const headerValueChar = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 6, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  { weight: 1, arbitrary: fc.constant(0x09) },
).map((code) => String.fromCharCode(code));
const headerValue = fc.oneof(
  { weight: 20, arbitrary: fc.string({ unit: headerValueChar, maxLength: 80 }) },
  // Now and then a control byte: Node answers 400 itself, which is fine, but it must get no further.
  { weight: 1, arbitrary: fc.tuple(fc.string({ unit: headerValueChar, maxLength: 10 }), fc.constantFrom('\u0000', '\u0001', '\u000b', '\u000c', '\u001f', '\u007f', '\r', '\n')).map(([a, c]) => a + c + a) },
);

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = (maxLength: number) => fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength });

/** Methods Node's parser accepts (some that `new Request()` refuses: TRACE), and, when `wild`, case games, garbage, CONNECT and TRACK. */
export function method(wild: boolean): fc.Arbitrary<string> {
  const parsed = fc.oneof(
    { weight: 12, arbitrary: fc.constant('GET') },
    { weight: 2, arbitrary: fc.constantFrom('HEAD', 'POST') },
    { weight: 3, arbitrary: fc.constantFrom('TRACE', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'QUERY', 'M-SEARCH', 'PROPFIND', 'PURGE', 'SEARCH', 'LINK', 'MKCOL', 'ACL', 'SOURCE') },
  );
  if (!wild) return parsed;
  return fc.oneof(parsed, fc.constantFrom('CONNECT', 'TRACK', 'get', 'Get', 'post', 'trace', 'GET ', 'G\u00c9T'), token(12), latin1(0x00, 0xff, { minLength: 1, maxLength: 8 }));
}

/** The server's routes, their near misses and the app's own route. */
const ROUTES = ['/auth/login', '/auth/callback', '/auth/session', '/auth/logout', '/auth/token', '/api/me'];
const NEAR_MISSES = [
  '/auth', '/auth/', '/auth//session', '//auth/session', '/auth/session/', '/AUTH/session', '/auth/SESSION', '/auth/./session',
  '/auth/x/../session', '/auth/%73ession', '/auth/session;x', '/auth/login%00', '/auth/..', '/auth/%2e%2e/api/me', '/api/me/', '/API/ME',
  '/', '/x', '*', '/auth/callback/../login', '/auth\\session', '/.well-known/openid-configuration',
  // Route names looked up in an object would find these on its prototype.
  '/auth/constructor', '/auth/__proto__', '/auth/toString', '/auth/hasOwnProperty', '/auth/valueOf',
];

/** Segments a naive decoder trips on. */
const GARBAGE_SEGMENTS = ['%', '%z', '%zz', '%00', '%2f', '%2F', '%5c', '%5C', '%C0%AF', '%E2%80%AE', '%FF%FE', '%25', '..', '.', '', ';', '\u00e9', '\\', '@', ':'];

/** `returnTo` values that try to leave the app's origin, the ones the issue names and their siblings, and harmless ones. */
export function returnToShapes(appOrigin: string): string[] {
  return [
    '//evil.example/x', '/\\evil.example/x', '/.//evil.example/x', '/..//evil.example/x', '/%2e//evil.example/x', '/%2E%2E//evil.example/x',
    '/././/evil.example/x', '/a/..//evil.example/x', '/.%2e//evil.example/x', '/%2e%2e//evil.example/x', '/x/%2e%2e//evil.example/x',
    `${appOrigin}//evil.example/x`, `${appOrigin}/.//evil.example/x`, `${appOrigin}/..//evil.example/x`, `${appOrigin}/\\evil.example/x`,
    '///evil.example/x', '/\\/evil.example/x', '\\\\evil.example/x', '/\t/evil.example/x', '/\n/evil.example/x', '/%09/evil.example/x',
    '/%5cevil.example/x', '/%5C%5Cevil.example/x', '/%2f%2fevil.example/x', '/%2F/evil.example/x', '//evil.example@localhost/x',
    'https://evil.example/x', 'http:evil.example', 'https:/evil.example', 'javascript:alert(1)', 'data:text/html,x', '/ /evil.example',
    '/\u3000/evil.example', '/\u00a0/evil.example', '/x\r\nSet-Cookie: evil=1', '/x%0d%0aSet-Cookie:%20evil=1', '/x#//evil.example',
    '/x?//evil.example', '', '/', '/home', '/home?a=1#frag', '/%', '/%zz', '/\u00e9', '/' + 'a'.repeat(3000),
  ];
}

/** A string built from the pieces of path-confusion tricks, in random order. */
const trickyPath = fc
  .array(fc.constantFrom('/', '\\', '.', '..', '%2e', '%2E', '%2f', '%5c', '%09', '\t', 'evil.example', 'x', ':', '@', '?', '#', '%', '%00', 'https:', '//'), { maxLength: 10 })
  .map((parts) => parts.join(''));

/** A query parameter value, percent-encoded so the route sees it as generated, or raw bytes (Node may refuse them). */
const queryValue = (values: fc.Arbitrary<string>, wild: boolean) =>
  wild ? fc.oneof(values.map((value) => encodeURIComponent(value)), values) : values.map((value) => encodeURIComponent(value));

export function target(context: FuzzContext, wild = false): fc.Arbitrary<string> {
  const returnTo = fc.oneof(fc.constantFrom(...returnToShapes(context.appOrigin)), trickyPath, fc.string({ maxLength: 30 }));
  const param = fc.oneof(
    { weight: 4, arbitrary: queryValue(returnTo, wild).map((value) => `returnTo=${value}`) },
    { weight: 1, arbitrary: fc.constantFrom('prompt=none', 'prompt=login', 'max_age=0', 'max_age=99999999', 'acr_values=x', 'forceRefresh=1', 'error=access_denied', 'iss=x', 'state=', 'code=x') },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('state', 'code', 'error', 'error_description', 'iss', 'returnTo', 'redirectTo', 'prompt'), queryValue(fc.string({ maxLength: 40 }), wild)).map(([k, v]) => `${k}=${v}`) },
    { weight: 1, arbitrary: fc.constantFrom(...GARBAGE_SEGMENTS.filter((segment) => wild || /^[\x21-\x7e]*$/.test(segment))) },
  );
  const query = fc.option(fc.array(param, { minLength: 1, maxLength: 4 }).map((params) => `?${params.join('&')}`), { nil: '' });
  const path = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...ROUTES) },
    { weight: 4, arbitrary: fc.constantFrom(...NEAR_MISSES) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('/auth/', '/', '/api/'), fc.array(fc.constantFrom(...GARBAGE_SEGMENTS.filter((segment) => wild || /^[\x21-\x7e]*$/.test(segment)), 'login', 'session', 'me'), { maxLength: 4 })).map(([start, parts]) => start + parts.join('/')) },
    { weight: 1, arbitrary: fc.constantFrom(`${context.appOrigin}/auth/session`, `${context.appOrigin}/auth/login`, 'http://evil.example/auth/login', 'https://evil.example/auth/session', '//evil.example/auth/login', 'localhost:1/auth/session') },
  );
  return fc.oneof(
    { weight: 20, arbitrary: fc.tuple(path, query).map(([p, q]) => p + q) },
    // Huge: under Node's 16 KiB header limit, or (wild) past it, which Node answers with 431 itself.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('/auth/login?returnTo=/', '/auth/session?', '/api/me?', '/auth/'), fc.integer({ min: 2_000, max: wild ? 20_000 : 12_000 })).map(([p, n]) => p + 'a'.repeat(n)) },
  );
}

/** One `name=value` pair of a Cookie header, as sent (the model reads the joined header, not these). */
export interface CookiePair {
  readonly name: string;
  readonly value: string;
}

/** Names that are the session cookie's to a lenient parser and not to RFC 6265bis, and names that are nothing like it. */
export function cookieName(exact: string, extra: readonly string[] = []): fc.Arbitrary<string> {
  const around = fc.constantFrom('', '', '', ' ', '\t', '\u00a0', '\u00a0\u00a0', ' \u00a0', '\u0085', '"', '.', '\u00c2\u00a0');
  const variants = [exact, exact.toLowerCase(), exact.toUpperCase(), exact.replace('__Host-', '__host-'), exact.replace('__Host-', '__Secure-'), exact.replace('__Host-', ''), `${exact}.login.`, `${exact}x`, `x${exact}`];
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(around, fc.constantFrom(exact, ...extra), around).map(([a, n, b]) => a + n + b) },
    { weight: 3, arbitrary: fc.tuple(around, fc.constantFrom(...variants, ...extra), around).map(([a, n, b]) => a + n + b) },
    { weight: 2, arbitrary: token(20) },
    { weight: 1, arbitrary: fc.string({ unit: headerValueChar, maxLength: 12 }).filter((name) => !/[;=]/.test(name)) },
  );
}

/** Cookie values: one of `valid` (maybe padded with SP/HTAB, maybe quoted), junk, huge (past 4096), empty. */
export function cookieValue(valid: readonly string[]): fc.Arbitrary<string> {
  const pad = fc.constantFrom('', '', '', ' ', '\t', ' \t');
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(pad, fc.constantFrom(...valid), pad).map(([a, v, b]) => a + v + b) },
    { weight: 1, arbitrary: fc.constantFrom(...valid).map((v) => `"${v}"`) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), maxLength: 60 }) },
    { weight: 1, arbitrary: fc.string({ unit: headerValueChar, maxLength: 40 }).filter((v) => !v.includes(';')) },
    { weight: 1, arbitrary: fc.integer({ min: 4_000, max: 9_000 }).map((n) => 'A'.repeat(n)) },
    { weight: 1, arbitrary: fc.constant('') },
  );
}

/** Cookie header lines (Node joins several with "; ") made of `pairs`, with the separators browsers and attackers use. */
export function cookieLines(pairs: fc.Arbitrary<CookiePair[]>): fc.Arbitrary<{ name: string; lines: string[] }> {
  return fc
    .record({
      pairs,
      separator: fc.constantFrom('; ', '; ', ';', ' ; ', ';\t'),
      lines: fc.integer({ min: 1, max: 3 }),
      bare: fc.boolean(),
      headerName: fc.constantFrom('cookie', 'cookie', 'Cookie', 'COOKIE'),
      // Many cookies: the app's own, analytics, a sibling domain's (up to ~6 KiB of them), before or after ours.
      filler: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 20, max: 400 }) }),
      fillerFirst: fc.boolean(),
    })
    .map(({ pairs, separator, lines, bare, headerName, filler, fillerFirst }) => {
      const ours = pairs.map((pair) => (bare && pair.value === '' ? pair.name : `${pair.name}=${pair.value}`));
      const others = Array.from({ length: filler }, (_, i) => `c${i}=${i}`);
      const parts = fillerFirst ? [...others, ...ours] : [...ours, ...others];
      const size = Math.max(1, Math.ceil(parts.length / lines));
      const out: string[] = [];
      for (let i = 0; i < parts.length; i += size) out.push(parts.slice(i, i + size).join(separator));
      return { name: headerName, lines: out };
    });
}

/**
 * The cookies of a Cookie header as RFC 6265bis reads them (§5.7.x / §4.2.1): pairs split on ";", a
 * pair without "=" has an empty name, only SP and HTAB are stripped around names and values, and
 * names compare byte for byte.
 */
export function parseCookieHeader(header: string): CookiePair[] {
  const strip = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, '');
  return header.split(';').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? { name: '', value: strip(part) } : { name: strip(part.slice(0, eq)), value: strip(part.slice(eq + 1)) };
  });
}

/** The one value the request carries under exactly `name`, or undefined when it carries it zero or several times. */
export function onlyValueOf(header: string, name: string): string | undefined {
  const values = parseCookieHeader(header).filter((pair) => pair.name === name);
  return values.length === 1 ? values[0]!.value : undefined;
}

/** Any other header a browser or attacker sends, including the ones the CSRF check reads; when `wild`, bytes Node refuses too. */
export function otherHeaders(context: FuzzContext, wild = false): fc.Arbitrary<[string, string][]> {
  const names = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('origin', 'sec-fetch-site', 'x-oidc-session', 'content-type', 'referer', 'accept', 'authorization', 'user-agent', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded', 'x-http-method-override', 'upgrade', 'range', 'if-none-match', 'Origin', 'X-OIDC-SESSION') },
    { weight: 2, arbitrary: token(16) },
  );
  const name = wild ? fc.oneof(names, fc.constantFrom('host', 'expect', 'content-length', 'transfer-encoding'), latin1(0x21, 0xff, { minLength: 1, maxLength: 8 }).filter((n) => !n.includes(':'))) : names;
  const value = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(context.appOrigin, 'null', 'https://evil.example', `${context.appOrigin}.evil.example`, 'same-origin', 'same-site', 'cross-site', 'none', '1', '0', '1, 1', 'application/json', 'websocket', '100-continue', 'bytes=0-1', 'TRACE', 'evil.example', '') },
    { weight: 3, arbitrary: wild ? headerValue : fc.string({ unit: headerValueChar, maxLength: 80 }) },
    { weight: wild ? 1 : 0, arbitrary: fc.integer({ min: 4_000, max: 18_000 }).map((n) => 'v'.repeat(n)) },
  );
  return fc.array(fc.tuple(name, value), { maxLength: 5 });
}

export const body = fc.option(
  fc.record({
    text: fc.oneof(fc.constantFrom('{}', '{"returnTo":"//evil.example"}', '{"a":', 'returnTo=%2F%2Fevil.example', '\u0000\u00ff', ''), latin1(0x00, 0xff, { maxLength: 200 }), fc.integer({ min: 10_000, max: 64_000 }).map((n) => 'b'.repeat(n))),
    framing: fc.constantFrom<'length' | 'chunked'>('length', 'chunked'),
  }),
  { nil: undefined, freq: 3 },
);

/**
 * A whole request: method, target, cookies made of `pairs`, other headers, maybe a body. One in six is
 * `wild`: bytes Node's own parser refuses (it answers 400/431 itself), no Host, huge headers; the rest
 * reach the adapters.
 */
export function request(context: FuzzContext, pairs: fc.Arbitrary<CookiePair[]>): fc.Arbitrary<RawRequest> {
  const build = (wild: boolean) =>
    fc
      .record({
        method: method(wild),
        target: target(context, wild),
        cookies: fc.option(cookieLines(pairs), { nil: undefined, freq: 6 }),
        headers: otherHeaders(context, wild),
        body,
        omitHost: wild ? fc.boolean() : fc.constant(false),
      })
      .map(({ method, target, cookies, headers, body, omitHost }): RawRequest => ({
        method,
        target,
        headers: [...(cookies?.lines.map((line): [string, string] => [cookies.name, line]) ?? []), ...headers],
        ...(body ? { body: body.text, framing: body.framing } : {}),
        omitHost,
      }));
  return fc.oneof({ weight: 5, arbitrary: build(false) }, { weight: 1, arbitrary: build(true) });
}
