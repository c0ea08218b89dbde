// The loopback redirect helper for desktop and CLI apps (RFC 8252 §7.3, §8.3), over real sockets:
// fetch where a browser's request is enough, raw node:net bytes for everything fetch cannot send.
import fc from 'fast-check';
import { afterEach, describe, expect, expectTypeOf, test } from 'vitest';
import { AuthError, ConfigError, OAuthError, ProtocolError, isAuthError, type AuthClient, type LoginResult } from '../../src/index.js';
import { LoopbackError, listenForCallback, loopbackLogin, type LoopbackListener, type LoopbackLoginClient, type LoopbackLoginRequest } from '../../src/native/loopback.js';
import { NAVIGATION_HEADERS, canListenOn, connectOutcome, exchange, idleConnection, request, type RawAnswer } from './raw-socket.js';

const CALLBACK = /^http:\/\/127\.0\.0\.1:(\d+)\/callback$/;
const open: LoopbackListener[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((listener) => listener.close()));
});

async function listen(options?: Parameters<typeof listenForCallback>[0]): Promise<LoopbackListener & { port: number }> {
  const listener = await listenForCallback(options);
  open.push(listener);
  return Object.assign(listener, { port: Number(new URL(listener.redirectUri).port) });
}

/** Watches a promise without consuming it: `settled()` says whether it has settled yet. */
function watch(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

/** A turn of the event loop, for a settlement that would follow an answer. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function expectRefusal(answer: RawAnswer, status: number): void {
  expect(answer.status, answer.text.slice(0, 200)).toBe(status);
  expect(answer.headers['cache-control']).toBe('no-store');
}

describe('listenForCallback', () => {
  test('resolves with the exact URL of the login response, answers with a no-store page, then closes', async () => {
    const listener = await listen();
    expect(listener.redirectUri).toMatch(CALLBACK);
    const url = `${listener.redirectUri}?code=a%2Fb+c&state=s%7E1&iss=https%3A%2F%2Fop.example`;

    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain('You can close this window and return to the app');

    await expect(listener.callback).resolves.toBe(url);
    expect(await connectOutcome(listener.port)).toBe('ECONNREFUSED');
    await expect(fetch(url)).rejects.toThrow();
    await listener.close();
  });

  test('an error response ends the wait too: the client reports it', async () => {
    const listener = await listen();
    const answer = await request(listener.port, '/callback?error=access_denied&state=s');
    expect(answer.status).toBe(200);
    await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?error=access_denied&state=s`);
  });

  test('refuses everything that is not the login response, and still takes the real one afterwards', async () => {
    const listener = await listen();
    const settled = watch(listener.callback);
    const valid = '/callback?state=s&code=c';
    const { port } = listener;
    const cases: [string, Promise<RawAnswer>, number][] = [
      ['another path', request(port, '/other?state=s&code=c'), 404],
      ['favicon', request(port, '/favicon.ico'), 404],
      ['a trailing slash', request(port, '/callback/?state=s&code=c'), 404],
      ['another case', request(port, '/CALLBACK?state=s&code=c'), 404],
      ['a protocol-relative target', request(port, '//callback?state=s&code=c'), 404],
      ['an encoded path', request(port, '/%63allback?state=s&code=c'), 404],
      ['POST', request(port, valid, { method: 'POST' }), 405],
      ['HEAD', request(port, valid, { method: 'HEAD' }), 405],
      ['OPTIONS', request(port, valid, { method: 'OPTIONS' }), 405],
      ['no query', request(port, '/callback'), 400],
      ['no state', request(port, '/callback?code=c'), 400],
      ['an empty state', request(port, '/callback?state=&code=c'), 400],
      ['two states', request(port, '/callback?state=s&state=t&code=c'), 400],
      ['neither code nor error', request(port, '/callback?state=s'), 400],
      ['an empty code', request(port, '/callback?state=s&code='), 400],
      ['an absolute-form target', request(port, `http://127.0.0.1:${port}${valid}`), 400],
      ['a foreign Host (DNS rebinding)', request(port, valid, { host: `evil.example:${port}` }), 421],
      ['Host localhost', request(port, valid, { host: `localhost:${port}` }), 421],
      ['Host without the port', request(port, valid, { host: '127.0.0.1' }), 421],
      ['Host with another port', request(port, valid, { host: `127.0.0.1:${port + 1}` }), 421],
      ['two Host headers', request(port, valid, { headers: [`Host: 127.0.0.1:${port}`, ...NAVIGATION_HEADERS] }), 400],
      ['an Origin (a page fetching the port)', request(port, valid, { headers: [...NAVIGATION_HEADERS, 'Origin: https://evil.example'] }), 403],
      ['Origin: null', request(port, valid, { headers: [...NAVIGATION_HEADERS, 'Origin: null'] }), 403],
      ['an <img>', request(port, valid, { headers: ['Sec-Fetch-Mode: no-cors', 'Sec-Fetch-Dest: image'] }), 403],
      ['a no-cors fetch', request(port, valid, { headers: ['Sec-Fetch-Mode: no-cors', 'Sec-Fetch-Dest: empty'] }), 403],
      ['an iframe', request(port, valid, { headers: ['Sec-Fetch-Mode: navigate', 'Sec-Fetch-Dest: iframe'] }), 403],
    ];
    for (const [name, answer, status] of cases) {
      const result = await answer;
      expect(result.status, `${name}: ${result.text.slice(0, 120)}`).toBe(status);
      expect(result.headers['cache-control'], name).toBe('no-store');
      if (status === 405) expect(result.headers.allow).toBe('GET');
    }
    const viaFetch = await fetch(`${listener.redirectUri}?state=s&code=c`, { headers: { origin: 'https://evil.example' } });
    expect(viaFetch.status).toBe(403);
    await tick();
    expect(settled()).toBe(false);

    expect((await request(port, valid)).status).toBe(200);
    await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=s&code=c`);
  });

  test('with expectedState, a response carrying another state is refused and does not end the wait', async () => {
    const listener = await listen({ expectedState: 'the-real-state' });
    const settled = watch(listener.callback);
    for (const state of ['other', 'the-real-stat', 'the-real-statee', 'THE-REAL-STATE', 'the-real-state%00']) {
      expectRefusal(await request(listener.port, `/callback?state=${state}&code=c`), 400);
    }
    await tick();
    expect(settled()).toBe(false);
    expect((await request(listener.port, '/callback?code=c&state=the-real-state')).status).toBe(200);
    await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?code=c&state=the-real-state`);
  });

  test('only one response: a second one finds the port closed, and connections opened before are dropped', async () => {
    const listener = await listen();
    const preconnected = await idleConnection(listener.port);
    const [first, second] = await Promise.all([request(listener.port, '/callback?state=s&code=1'), tick().then(() => request(listener.port, '/callback?state=s&code=2'))]);
    expect(first.status).toBe(200);
    expect(second.status).not.toBe(200);
    await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=s&code=1`);
    await preconnected.closed;
    expect(await connectOutcome(listener.port)).toBe('ECONNREFUSED');
  });

  test('a timeout rejects with a LoopbackError (code timeout) and closes the port', async () => {
    const listener = await listen({ timeoutMs: 50 });
    const error = await listener.callback.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LoopbackError);
    expect(error).toBeInstanceOf(AuthError);
    expect(isAuthError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'LoopbackError', code: 'timeout', reason: 'timeout' });
    expect(await connectOutcome(listener.port)).toBe('ECONNREFUSED');
  });

  test('an abort rejects with a LoopbackError (reason aborted, the signal reason as cause) and closes the port', async () => {
    const controller = new AbortController();
    const listener = await listen({ signal: controller.signal });
    const preconnected = await idleConnection(listener.port);
    const reason = new Error('user cancelled');
    controller.abort(reason);
    await expect(listener.callback).rejects.toMatchObject({ name: 'LoopbackError', reason: 'aborted', code: 'aborted', cause: reason });
    await preconnected.closed;
    expect(await connectOutcome(listener.port)).toBe('ECONNREFUSED');
  });

  test('an abort while the port is being bound still ends the wait', async () => {
    const controller = new AbortController();
    const starting = listenForCallback({ signal: controller.signal });
    controller.abort();
    const listener = await starting;
    open.push(listener);
    await expect(listener.callback).rejects.toMatchObject({ name: 'LoopbackError', reason: 'aborted' });
    expect(await connectOutcome(Number(new URL(listener.redirectUri).port))).toBe('ECONNREFUSED');
  });

  test('Expect: 100-continue gets no interim answer: the callback is screened as any other', async () => {
    const listener = await listen();
    const refused = await request(listener.port, '/callback?state=s', { headers: [...NAVIGATION_HEADERS, 'Expect: 100-continue'] });
    expect(refused.text).toMatch(/^HTTP\/1\.1 400 /);
    const accepted = await request(listener.port, '/callback?state=s&code=c', { headers: [...NAVIGATION_HEADERS, 'Expect: 100-continue'] });
    expect(accepted.text).toMatch(/^HTTP\/1\.1 200 /);
    await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=s&code=c`);
  });

  test('an already aborted signal is refused before listening', async () => {
    await expect(listenForCallback({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'LoopbackError', reason: 'aborted' });
  });

  test('close() rejects a pending callback, is idempotent, and never leaves an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const listener = await listen();
      const watched = await listen();
      await Promise.all([listener.close(), listener.close()]);
      await listener.close();
      expect(await connectOutcome(listener.port)).toBe('ECONNREFUSED');
      await expect(listener.callback).rejects.toMatchObject({ name: 'LoopbackError', reason: 'aborted' });
      // Nobody awaits this one's callback before it rejects.
      await watched.close();
      await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('close() after the callback only closes; the callback stays resolved', async () => {
    const listener = await listen();
    await request(listener.port, '/callback?state=s&code=c');
    await listener.close();
    await expect(listener.callback).resolves.toContain('code=c');
  });

  test('every listener gets its own random port from the OS', async () => {
    const [a, b] = await Promise.all([listen(), listen()]);
    expect(a.port).not.toBe(b.port);
    for (const { port } of [a, b]) expect(port).toBeGreaterThan(1023);
  });

  test('the path option and the app page: html of its own, or a redirect', async () => {
    const own = await listen({ path: '/oauth/done', page: { html: '<p>Signed in to Example</p>' } });
    expect(own.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/done$/);
    expectRefusal(await request(own.port, '/callback?state=s&code=c'), 404);
    const page = await request(own.port, '/oauth/done?state=s&code=c');
    expect(page.status).toBe(200);
    expect(page.body).toBe('<p>Signed in to Example</p>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    await expect(own.callback).resolves.toBe(`${own.redirectUri}?state=s&code=c`);

    const redirecting = await listen({ page: { redirectTo: new URL('https://app.example/signed-in') } });
    const answer = await request(redirecting.port, '/callback?state=s&code=c');
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('https://app.example/signed-in');
    expect(answer.headers['cache-control']).toBe('no-store');
    await expect(redirecting.callback).resolves.toContain('code=c');
  });

  test.each([
    [{ host: 'localhost' }, 'host'],
    [{ host: '0.0.0.0' }, 'host'],
    [{ host: '::' }, 'host'],
    [{ path: 'callback' }, 'path'],
    [{ path: '/a/../callback' }, 'path'],
    [{ path: '/a//b' }, 'path'],
    [{ path: '/call back' }, 'path'],
    [{ path: '/callback?x=1' }, 'path'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: Infinity }, 'timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'],
    [{ expectedState: '' }, 'expectedState'],
    [{ signal: {} }, 'signal'],
    [{ page: { html: 'a', redirectTo: 'https://app.example/' } }, 'page'],
    [{ page: { redirectTo: 'javascript:alert(1)' } }, 'page'],
    [{ page: { redirectTo: 'file:///etc/passwd' } }, 'page'],
    [{ timeout: 1000 }, 'timeout'],
  ])('refuses option %o with a ConfigError naming %s', async (options, option) => {
    const error = await listenForCallback(options as never).then(
      (listener) => (open.push(listener), undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'invalid_config', option });
  });

  describe('IPv6', async () => {
    const ipv6 = await canListenOn('::1');
    if (!ipv6) console.warn('loopback IPv6 tests skipped: this machine cannot listen on ::1');

    test.skipIf(!ipv6)('listens on [::1] when asked (skipped only where ::1 cannot be bound)', async () => {
      const listener = await listen({ host: '::1' });
      expect(listener.redirectUri).toMatch(/^http:\/\/\[::1\]:\d+\/callback$/);
      expect(await connectOutcome(listener.port, '127.0.0.1')).toBe('ECONNREFUSED');
      expectRefusal(await request(listener.port, '/callback?state=s&code=c', { address: '::1', host: `127.0.0.1:${listener.port}` }), 421);
      const response = await fetch(`${listener.redirectUri}?state=s&code=c`);
      expect(response.status).toBe(200);
      await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=s&code=c`);
      expect(await connectOutcome(listener.port, '::1')).toBe('ECONNREFUSED');
    });
  });

  describe('hostile bytes never crash the process nor end the wait', () => {
    const fixed: [string, (port: number) => string | Buffer][] = [
      ['a target just over 8 KiB', (port) => `GET /callback?state=s&code=${'a'.repeat(8 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['a 20 KiB target', (port) => `GET /callback?state=s&code=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['a 200 KiB target', (port) => `GET /${'%41'.repeat(70_000)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['a 40 KiB header', (port) => `GET /callback?state=s&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'b'.repeat(40 * 1024)}\r\n\r\n`],
      ['2,000 headers', (port) => `GET /callback?state=s&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${'X: y\r\n'.repeat(2000)}\r\n`],
      ['bad percent-encoding', (port) => `GET /callback?state=%&code=%zz%E0%A4%A&error=%ff%fe HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['encoded CRLF in the state', (port) => `GET /callback?state=x%0d%0aSet-Cookie:%20a=b&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['a raw CR LF in the target', (port) => `GET /callback?state=x\r\nSet-Cookie: a=b&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['a bare LF in a header', (port) => `GET /callback?state=x&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\nX-Injected: 1\r\n\r\n`],
      ['an obs-fold header', (port) => `GET /callback?state=x&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n folded\r\n\r\n`],
      ['NUL in the target', (port) => `GET /callback?state=x\0&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['NUL in the Host', (port) => `GET /callback?state=x&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\0\r\n\r\n`],
      ['bytes above 0x7f', (port) => Buffer.concat([Buffer.from('GET /callback?state='), Buffer.from([0xc3, 0x28, 0xff, 0x80]), Buffer.from(`&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)])],
      ['HTTP/0.9', () => 'GET /callback?state=x&code=c\r\n\r\n'],
      ['HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['an unknown method', (port) => `BREW /callback?state=x&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['CONNECT', (port) => `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`],
      ['a body with conflicting lengths', (port) => `GET /callback?state=x&code=c HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['a smuggled second request', (port) => `POST /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\n\r\nGET /callback?state=x&code=c HTTP/1.1\r\nHost: evil.example\r\n\r\n`],
      ['a request line of spaces', () => '          \r\n\r\n'],
      ['garbage', () => '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003'],
      ['a lone header end', () => '\r\n\r\n'],
    ];

    test('hand-picked requests, then fast-check requests; the real callback still works afterwards', async () => {
      const listener = await listen({ expectedState: 'the-real-state' });
      const settled = watch(listener.callback);
      const port = listener.port;
      for (const [name, make] of fixed) {
        const bytes = make(port);
        const answer = await exchange(port, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
        expect(answer.status, name).not.toBe(200);
        expect(answer.headers['set-cookie'], name).toBeUndefined();
        expect(answer.headers['x-injected'], name).toBeUndefined();
        if (answer.status === 0) continue;
        expect(answer.status, name).toBeGreaterThanOrEqual(400);
        // Answers from the listener itself (not Node's parser refusing the bytes) carry no-store; so do ours to parser errors.
        expect(answer.headers['cache-control'], name).toBe('no-store');
      }

      // Mostly well-formed, so that most requests get past Node's parser to the listener's own checks.
      const often = <T,>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<T>) => fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: rare, weight: 1 });
      const segment = often(
        fc.constantFrom('callback', 'favicon.ico', '%63allback', '..', '.', '', '%2e%2e', 'callback%00', '%', 'CALLBACK'),
        fc.string({ unit: 'binary-ascii', maxLength: 12 }),
      );
      const name = often(fc.constantFrom('state', 'state', 'code', 'error', 'iss', 'State', 'st%61te', 'state[]', ''), fc.string({ unit: 'binary', maxLength: 8 }));
      const value = often(
        fc.oneof(fc.stringMatching(/^[A-Za-z0-9%._~+=;-]{0,24}$/), fc.constantFrom('the-real-stat', 'the-real-state%00', '%', '%zz', '%0d%0a', '%00', '+', 'x'.repeat(3000))),
        fc.string({ unit: 'binary', maxLength: 16 }),
      );
      const query = fc.array(fc.tuple(name, value), { maxLength: 4 }).map((params) => params.map(([k, v]) => `${k}=${v}`).join('&'));
      const path = fc.oneof({ arbitrary: fc.constant('/callback'), weight: 3 }, { arbitrary: fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join('/')}`), weight: 1 });
      const target = fc.tuple(path, fc.constantFrom('?', '?', '', '??', '#'), query).map(([p, mark, q]) => `${p}${mark}${q}`);
      const header = often(
        fc.constantFrom(
          ...NAVIGATION_HEADERS,
          'Origin: null',
          'Sec-Fetch-Mode: no-cors',
          'Sec-Fetch-Dest: image',
          'Host: evil.example',
          'Content-Length: 3',
          'Transfer-Encoding: chunked',
          'Expect: 100-continue',
          'Cookie: a=b',
          'X: \u0000',
        ),
        fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 20 })).map(([k, v]) => `${k}: ${v}`),
      );
      const raw = fc.record({
        method: fc.oneof({ arbitrary: fc.constant('GET'), weight: 3 }, { arbitrary: fc.constantFrom('POST', 'HEAD', 'PUT', 'OPTIONS', 'get', 'G E T', ''), weight: 1 }),
        target,
        version: often(fc.constant('HTTP/1.1'), fc.constantFrom('HTTP/1.0', 'HTTP/9.9', '')),
        host: often(fc.constant(`127.0.0.1:${port}`), fc.constantFrom(`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}\r\nHost: x`, '127.0.0.1', '')),
        headers: fc.array(header, { maxLength: 4 }),
        separator: often(fc.constant('\r\n'), fc.constantFrom('\n', '\r')),
      });
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(raw, async (r) => {
          const text = [`${r.method} ${r.target} ${r.version}`, `Host: ${r.host}`, ...r.headers].join(r.separator) + r.separator + r.separator;
          // Characters above U+00FF go out as UTF-8, as a browser would send them; the rest byte for byte.
          const bytes = Buffer.concat([...text].map((c) => (c.codePointAt(0)! > 0xff ? Buffer.from(c, 'utf8') : Buffer.from([c.codePointAt(0)!]))));
          const answer = await exchange(port, bytes);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          expect(answer.status).not.toBe(200);
          expect(answer.headers['set-cookie']).toBeUndefined();
          if (answer.status) expect(answer.headers['cache-control']).toBe('no-store');
          expect(settled()).toBe(false);
        }),
        { numRuns: 600 },
      );
      // The generator reaches the listener's own checks, not only Node's parser (which answers 400 too).
      for (const status of [403, 404, 421]) expect(statuses.get(status), `${status} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
      await tick();
      expect(settled()).toBe(false);

      expect((await request(port, '/callback?state=the-real-state&code=c')).status).toBe(200);
      await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=the-real-state&code=c`);
    });

    test('a well-formed response with one disqualifying trait never ends the wait, even without expectedState', async () => {
      const listener = await listen();
      const settled = watch(listener.callback);
      const port = listener.port;
      const trait = fc.constantFrom<[string, { method?: string; host?: string | null; headers?: readonly string[] }]>(
        ['foreign host', { host: `evil.example:${port}` }],
        ['rebinding with the port', { host: `attacker.127.0.0.1.nip.io:${port}` }],
        ['no port', { host: '127.0.0.1' }],
        ['ipv6 host', { host: `[::1]:${port}` }],
        ['origin', { headers: [...NAVIGATION_HEADERS, 'Origin: http://127.0.0.1'] }],
        ['image', { headers: ['Sec-Fetch-Mode: no-cors', 'Sec-Fetch-Dest: image'] }],
        ['script', { headers: ['Sec-Fetch-Mode: no-cors', 'Sec-Fetch-Dest: script'] }],
        ['iframe', { headers: ['Sec-Fetch-Mode: navigate', 'Sec-Fetch-Dest: iframe'] }],
        ['websocket', { headers: ['Sec-Fetch-Mode: websocket', 'Sec-Fetch-Dest: websocket'] }],
        ['post', { method: 'POST' }],
        ['put', { method: 'PUT' }],
      );
      const value = fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/);
      await fc.assert(
        fc.asyncProperty(trait, value, value, fc.boolean(), async ([, options], state, code, isError) => {
          const answer = await request(port, `/callback?state=${state}&${isError ? 'error' : 'code'}=${code}`, options);
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.headers['cache-control']).toBe('no-store');
          expect(settled()).toBe(false);
        }),
        { numRuns: 200 },
      );
      expect((await request(port, '/callback?state=s&code=c')).status).toBe(200);
      await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=s&code=c`);
    });
  });
});

describe('loopbackLogin', () => {
  const STATE = 'state-from-the-client';

  interface FakeClient extends LoopbackLoginClient<LoginResult> {
    requests: LoopbackLoginRequest[];
  }

  /**
   * The contract of AuthClient.login({ redirectUri, navigate }): builds an authorization URL for the
   * given redirect URI, hands it to navigate, and completes the login with the callback URL it gets
   * back (checking state, as the real client does).
   */
  function fakeClient(hooks: { beforeNavigate?: (request: LoopbackLoginRequest) => Promise<void>; result?: 'none' } = {}): FakeClient {
    const requests: LoopbackLoginRequest[] = [];
    return {
      requests,
      async login(options) {
        requests.push(options);
        await hooks.beforeNavigate?.(options);
        const authorization = new URL('https://op.example/authorize');
        authorization.search = new URLSearchParams({ client_id: 'cli', response_type: 'code', redirect_uri: options.redirectUri, state: STATE, code_challenge: 'x' }).toString();
        const callback = new URL(await options.navigate(authorization.href));
        if (hooks.result === 'none') return undefined;
        if (callback.searchParams.get('state') !== STATE) throw new ProtocolError('state_mismatch', 'login: unknown "state"');
        const error = callback.searchParams.get('error');
        if (error) throw new OAuthError(error, undefined, 'login');
        return { kind: 'login', user: { sub: 'ada' } as LoginResult['user'], returnTo: options.returnTo ?? '/' };
      },
    };
  }

  /** What the system browser does with the authorization URL: the provider sends it back to redirect_uri. */
  async function browser(authorizationUrl: string, response: Record<string, string>): Promise<Response> {
    const url = new URL(authorizationUrl);
    const redirect = new URL(url.searchParams.get('redirect_uri')!);
    redirect.search = new URLSearchParams({ ...response, state: url.searchParams.get('state')! }).toString();
    return fetch(redirect);
  }

  function portOf(client: FakeClient): number {
    return Number(new URL(client.requests[0]!.redirectUri).port);
  }

  test('opens the authorization URL, completes the login with the callback, and closes the listener', async () => {
    const client = fakeClient();
    const opened: string[] = [];
    const pages: Promise<Response>[] = [];
    const result = await loopbackLogin(client, {
      returnTo: '/projects',
      params: { prompt: 'login' },
      // As a real opener: starts the browser and returns; the browser comes back on its own.
      open: (url) => {
        opened.push(url);
        pages.push(browser(url, { code: 'the-code' }));
      },
    });
    expect(result).toEqual({ kind: 'login', user: { sub: 'ada' }, returnTo: '/projects' });
    const [request] = client.requests;
    expect(request!.redirectUri).toMatch(CALLBACK);
    expect(request).toMatchObject({ returnTo: '/projects', params: { prompt: 'login' } });
    expect(opened).toHaveLength(1);
    expect(new URL(opened[0]!).searchParams.get('redirect_uri')).toBe(request!.redirectUri);
    const page = await pages[0]!;
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You can close this window');
    expect(await connectOutcome(portOf(client))).toBe('ECONNREFUSED');
  });

  test('only the state of the opened authorization URL ends the wait: probes before and during are refused', async () => {
    const probes: number[] = [];
    const client = fakeClient({
      // Someone who finds the port before the browser is even opened.
      beforeNavigate: async (request) => {
        probes.push((await navigateTo(`${request.redirectUri}?state=${STATE}&code=forged`)).status);
      },
    });
    const result = await loopbackLogin(client, {
      open: async (url) => {
        const redirect = new URL(url).searchParams.get('redirect_uri')!;
        probes.push((await navigateTo(`${redirect}?state=guess&code=forged`)).status);
        await browser(url, { code: 'the-code' });
      },
    });
    expect(probes).toEqual([400, 400]);
    expect(result.kind).toBe('login');
  });

  test('a failed login (the provider said access_denied) rejects with the client error and closes the listener', async () => {
    const client = fakeClient();
    await expect(loopbackLogin(client, { open: (url) => browser(url, { error: 'access_denied' }) })).rejects.toMatchObject({ name: 'OAuthError', error: 'access_denied' });
    expect(await connectOutcome(portOf(client))).toBe('ECONNREFUSED');
  });

  test.each([
    ['throws', () => {
      throw new Error('no browser');
    }],
    ['rejects', () => Promise.reject(new Error('no browser'))],
  ])('open that %s fails the login and closes the listener', async (_, failing) => {
    const client = fakeClient();
    await expect(loopbackLogin(client, { open: failing })).rejects.toThrow('no browser');
    expect(await connectOutcome(portOf(client))).toBe('ECONNREFUSED');
  });

  test('a timeout rejects with a LoopbackError, even while open never settles, and closes the listener', async () => {
    const client = fakeClient();
    await expect(loopbackLogin(client, { timeoutMs: 80, open: () => new Promise(() => undefined) })).rejects.toMatchObject({ name: 'LoopbackError', code: 'timeout' });
    expect(await connectOutcome(portOf(client))).toBe('ECONNREFUSED');
  });

  test('an abort rejects with a LoopbackError and closes the listener', async () => {
    const client = fakeClient();
    const controller = new AbortController();
    await expect(loopbackLogin(client, { signal: controller.signal, open: () => void setTimeout(() => controller.abort(), 20) })).rejects.toMatchObject({
      name: 'LoopbackError',
      reason: 'aborted',
    });
    expect(await connectOutcome(portOf(client))).toBe('ECONNREFUSED');
  });

  test('a login() that fails before navigating, or resolves without a result, still closes the listener', async () => {
    const early = fakeClient({
      beforeNavigate: () => Promise.reject(new ConfigError('returnTo', 'outside the app')),
    });
    await expect(loopbackLogin(early, { open: () => undefined })).rejects.toBeInstanceOf(ConfigError);
    expect(await connectOutcome(portOf(early))).toBe('ECONNREFUSED');

    const silent = fakeClient({ result: 'none' });
    await expect(loopbackLogin(silent, { open: (url) => browser(url, { code: 'c' }) })).rejects.toMatchObject({ code: 'invalid_config', option: 'client' });
    expect(await connectOutcome(portOf(silent))).toBe('ECONNREFUSED');
  });

  test('refuses bad arguments before listening', async () => {
    const client = fakeClient();
    await expect(loopbackLogin(client, {} as never)).rejects.toMatchObject({ option: 'open' });
    await expect(loopbackLogin(client, { open: () => undefined, host: 'localhost' } as never)).rejects.toMatchObject({ option: 'host' });
    await expect(loopbackLogin(client, { open: () => undefined, expectedState: 'x' } as never)).rejects.toMatchObject({ option: 'expectedState' });
    await expect(loopbackLogin({} as never, { open: () => undefined })).rejects.toMatchObject({ option: 'client' });
    expect(client.requests).toEqual([]);
  });

  test('types: AuthClient fits the structural client, and the result is a LoginResult', () => {
    expectTypeOf<AuthClient>().toExtend<LoopbackLoginClient<LoginResult | undefined>>();
    expectTypeOf(loopbackLogin<LoginResult | undefined>).returns.resolves.toEqualTypeOf<LoginResult>();
    const infer = (client: AuthClient) => loopbackLogin(client, { open: () => undefined });
    expectTypeOf(infer).returns.resolves.toEqualTypeOf<LoginResult>();
  });
});

/** A GET with a browser's navigation headers to a full URL, over a raw socket. */
function navigateTo(url: string): Promise<RawAnswer> {
  const parsed = new URL(url);
  return request(Number(parsed.port), `${parsed.pathname}${parsed.search}`);
}
