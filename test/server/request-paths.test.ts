// The proxy's two shortcuts past the URL parser (src/server/request-target.ts, upstreamPathOf in
// src/server/proxy/forward.ts) must give exactly what the parse gives, for every input: a target
// split by hand that the parser would have read otherwise is a path check passed on the wrong path.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { requestTarget } from '../../src/server/request-target.js';
import { resolveApiRoutes } from '../../src/server/proxy/api-routes.js';
import { upstreamPathByParse, upstreamPathOf } from '../../src/server/proxy/forward.js';

/** What the parser makes of an origin-form target. */
function parsed(raw: string): { pathname: string; search: string } | undefined {
  try {
    const url = new URL(`http://localhost${raw}`);
    return { pathname: url.pathname, search: url.search };
  } catch {
    return undefined;
  }
}

// Every character the shortcuts treat specially, its neighbours, and some the parser encodes.
const CHARACTERS = [...'/.?%;#\\\'"` <>{}|^[]~-_!$&()*+,=:@aZ09', '%2e', '%2E', '%2f', '%5c', '%41', '%', '\t', '\n', '\u0000', 'é', '\u00a0', '..', '//'];
const pieces = fc.array(fc.constantFrom(...CHARACTERS), { maxLength: 24 }).map((parts) => parts.join(''));

describe('requestTarget: the path and query as the URL parser reads them', () => {
  test('typical targets, dot segments, empty queries, encodings', () => {
    for (const raw of ['/', '/api/orders/42', '/api/orders/42?x=1&y=%20', '/api/orders?', '/a/./b', '/a/../b', '/a/..?x', '/a/.', '//host/path', "/a'b?c'd", '/a b', '/a%2e%2e/b', '/a;b=c/d', '/a?b#c', '/a\\b', '/é', '/a?é']) {
      const mine = requestTarget(raw);
      expect(mine && { pathname: mine.pathname, search: mine.search }, raw).toEqual(parsed(raw));
      if (mine) expect(mine.pathAndQuery).toBe(mine.pathname + mine.search);
    }
  });

  test('property: any origin-form target splits as the parser reads it', () => {
    fc.assert(
      fc.property(pieces, (tail) => {
        const raw = `/${tail}`;
        const mine = requestTarget(raw);
        expect(mine && { pathname: mine.pathname, search: mine.search }).toEqual(parsed(raw));
      }),
      { numRuns: 5_000 },
    );
  });

  test('absolute-form keeps only its path and query; other forms are none', () => {
    expect(requestTarget('http://elsewhere.example/api/orders?x=1')).toEqual({ pathname: '/api/orders', search: '?x=1', pathAndQuery: '/api/orders?x=1' });
    for (const raw of ['*', 'example.com:443', 'api/orders', '']) expect(requestTarget(raw), raw).toBeUndefined();
  });
});

describe('upstreamPathOf: the path and query an upstream is sent', () => {
  const routes = resolveApiRoutes(
    [
      { path: '/api/orders', upstream: 'http://127.0.0.1:4000/v1' },
      { path: '/api/orders/admin', upstream: 'http://127.0.0.1:4001' },
      { path: '/api/root', upstream: 'http://127.0.0.1:4002/' },
    ],
    '/auth',
  );
  const orders = routes.find((route) => route.path === '/api/orders')!;
  const root = routes.find((route) => route.path === '/api/root')!;

  test('appended to the upstream path, the query kept; an empty rest is the upstream path itself', () => {
    expect(upstreamPathOf({ pathname: '/api/orders/42', search: '?x=1' }, orders, routes)).toBe('/v1/42?x=1');
    expect(upstreamPathOf({ pathname: '/api/orders', search: '' }, orders, routes)).toBe('/v1');
    expect(upstreamPathOf({ pathname: '/api/root', search: '?q' }, root, routes)).toBe('/?q');
    expect(upstreamPathOf({ pathname: '/api/root/a', search: '' }, root, routes)).toBe('/a');
  });

  test('refused without the parse as with it: dot and empty segments, another route below', () => {
    for (const pathname of ['/api/orders/..', '/api/orders/./x', '/api/orders//x', '/api/orders/admin', '/api/orders/admin/x', '/api/orders/a;b', '/api/orders/%2e%2e', '/api/orders/%61dmin']) {
      expect(upstreamPathOf({ pathname, search: '' }, orders, routes), pathname).toBeUndefined();
    }
  });

  test('property: for any path the parser can give, the shortcut and the parse agree', () => {
    fc.assert(
      fc.property(pieces, fc.constantFrom('', '?x=1', "?a='b'", '?%zz'), fc.constantFrom(orders, root), (tail, query, route) => {
        const target = parsed(`${route.path}/${tail}${query}`);
        if (!target || matchesOther(target.pathname, route)) return;
        expect(upstreamPathOf(target, route, routes)).toBe(upstreamPathByParse(target, route, routes));
      }),
      { numRuns: 5_000 },
    );
  });

  /** Whether the parsed path left the route (the parser resolved `..`): not the case under test. */
  function matchesOther(pathname: string, route: (typeof routes)[number]): boolean {
    return !(pathname === route.path || pathname.startsWith(`${route.path}/`));
  }
});
