// Nothing a client sends ends the process or answers 500, through the README's two setups in a
// process of their own: `http.createServer(nodeHandler(server))` and Express 5 with
// `app.use(nodeHandler(server))`. Requests go out over raw sockets, byte for byte: methods that
// `new Request()` refuses (TRACE, TRACK, CONNECT: Fetch §4.2 "forbidden methods"), request targets
// in every form RFC 9112 §3.2 names and some it does not, header bytes, huge URLs. An unsupported
// method answers 405 with the route's Allow (RFC 9110 §15.5.6) before anything is built.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSessionServer, nodeHandler, sessionMiddleware, type NodeRequest, type NodeResponse } from '../../src/server/index.js';
import { freePort } from '../support/redis-server.mjs';
import { CLIENT_ID, CLIENT_SECRET, SECRET, SESSION_COOKIE, login, sessionCookie, startWorld, type World } from './harness.js';
import { rawRequest, type RawResponse } from './raw-http.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let world: World;
let child: ChildProcess;
let output = '';
let dir: string;
let ports: { plain: number; express: number };
let session: string;

beforeAll(async () => {
  world = await startWorld();
  // The session server from src/, bundled for a plain `node` child process.
  dir = mkdtempSync(join(tmpdir(), 'oidc-session-http-surface-'));
  const serverModule = join(dir, 'server.mjs');
  await build({ entryPoints: [`${root}src/server/index.ts`], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: serverModule, logLevel: 'silent' });
  ports = { plain: world.appPort, express: await freePort() };
  const options = { issuer: world.provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appUrl: world.appOrigin, secret: SECRET, scope: 'openid profile email offline_access', tokenRoute: true };
  child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/http-surface-app.mjs', import.meta.url))], {
    env: { ...process.env, SERVER_MODULE: serverModule, APP_CONFIG: JSON.stringify({ options, ports: [ports.plain, ports.express] }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${output}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`the app exited (${code}):\n${output}`)));
    child.stdout?.on('data', () => output.includes('ready\n') && (clearTimeout(timer), resolve()));
  });
  session = sessionCookie((await login(world)).jar);
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await world?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectAlive(what: string): void {
  expect(child.exitCode, `${what}: the process ended\n${output}`).toBeNull();
  expect(child.signalCode, what).toBeNull();
}

/** Sends one request to a setup and checks the process is still there and did not answer 500. */
async function send(port: number, method: string, target: string, headers: [string, string][] = [], body = ''): Promise<RawResponse> {
  const response = await rawRequest(port, method, target, headers, body);
  const what = `${method} ${target.slice(0, 60)} (${port === ports.plain ? 'node:http' : 'Express'})`;
  expectAlive(what);
  expect(response.status, `${what}: ${response.text.slice(0, 200)}`).not.toBe(500);
  return response;
}


const ROUTES: [string, string][] = [
  ['/auth/login', 'GET, HEAD'],
  ['/auth/callback', 'GET, HEAD'],
  ['/auth/session', 'GET, HEAD'],
  ['/auth/token', 'GET, HEAD'],
  ['/auth/logout', 'POST'],
];
/** Methods Node's parser accepts; TRACE and friends cannot even become a `Request`. */
const METHODS = ['TRACE', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'PURGE', 'SEARCH', 'LOCK', 'MKCOL', 'COPY', 'MOVE', 'REPORT', 'NOTIFY', 'LINK', 'QUERY'];

describe.each(['node:http', 'Express 5'])('through %s', (setup) => {
  const port = () => (setup === 'node:http' ? ports.plain : ports.express);

  test('a method the route does not serve is 405 with the route\'s Allow; a path that is no route is 404', async () => {
    for (const method of METHODS) {
      for (const [path, allow] of ROUTES) {
        const response = await send(port(), method, path);
        // Node's parser may not know a method (QUERY on older versions): its own 400, never ours.
        if (response.status === 400 && method === 'QUERY') continue;
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.allow, `${method} ${path}`).toBe(allow);
        expect(JSON.parse(response.body), `${method} ${path}`).toEqual({ error: 'method_not_allowed' });
      }
      for (const path of ['/auth/nope', '/auth', '/auth/', '/auth/constructor', '/auth/__proto__', '/auth/toString']) {
        const response = await send(port(), method, path);
        if (response.status === 400 && method === 'QUERY') continue;
        expect(response.status, `${method} ${path}`).toBe(404);
      }
    }
    // The wrong one of the two served methods: the same answer, from the routes themselves.
    expect((await send(port(), 'POST', '/auth/session')).headers.allow).toBe('GET, HEAD');
    expect((await send(port(), 'GET', '/auth/logout')).headers.allow).toBe('POST');
    expect((await send(port(), 'HEAD', '/auth/session', [['Cookie', `${SESSION_COOKIE}=${session}`]])).status).toBe(200);
  });

  test('methods Node itself refuses or hands elsewhere (CONNECT, TRACK, lower case, made up) end nothing', async () => {
    for (const method of ['CONNECT', 'TRACK', 'get', 'FOO', 'G ET', 'GET\u0000', '\u00ff']) {
      for (const target of ['/auth/session', '127.0.0.1:1', '*']) await send(port(), method, target);
    }
  });

  test('request targets: scheme-relative, absolute-form, asterisk, percent garbage, dot segments, huge', async () => {
    const cookie: [string, string][] = [['Cookie', `${SESSION_COOKIE}=${session}`]];
    // Absolute-form (RFC 9112 §3.2.2: a server MUST accept it): the path is what counts.
    expect((await send(port(), 'GET', `http://evil.example/auth/session`, cookie)).status).toBe(200);
    expect((await send(port(), 'GET', `${world.appOrigin}/auth/session`, cookie)).status).toBe(200);
    // Origin-form paths are paths: `//host/...` is no host and no route.
    for (const target of ['//', '//auth/session', '///auth/session', '//evil.example/auth/session']) {
      expect([404], target).toContain((await send(port(), 'GET', target, cookie)).status);
    }
    for (const target of [
      '*',
      '/auth/session?%',
      '/auth/session?%zz=%ff&%00',
      '/auth/%',
      '/auth/%zz',
      '/auth/%00',
      '/auth/%2e%2e/auth/session',
      '/auth/../auth/session',
      '/auth\\session',
      '/auth/session#fragment',
      '/auth/callback?state=%ff%fe&code=%',
      '/auth/callback?state=&state=x&code=a&code=b',
      '/auth/login?returnTo=%',
      '/auth/login?returnTo=%ff',
      `/auth/login?returnTo=${'%2F'.repeat(2000)}`,
      `/auth/login?${'x=1&'.repeat(2000)}`,
      `/auth/${'a'.repeat(8000)}`,
      `/auth/session?${'q'.repeat(12_000)}`,
      `/auth/session?${'q'.repeat(70_000)}`,
      'http://',
      'http://[::1/auth/session',
      'https://user:pass@host:99999/auth/session',
      'javascript:alert(1)',
    ]) {
      await send(port(), 'GET', target, cookie);
      await send(port(), 'POST', target, [...cookie, ['X-OIDC-Session', '1']]);
    }
  });

  test('header bytes Node accepts but `Headers` might not, duplicated CSRF headers, bodies: never a crash or a 500', async () => {
    for (const bytes of ['\u0001', '\u0008', '\u007f', '\u0080', '\u00ff', '\u00a0', '\u0000', '\u000b', '\u000c', ' \t ', '\u00e9\u00e8']) {
      for (const name of ['Cookie', 'Origin', 'X-OIDC-Session', 'Sec-Fetch-Site', 'User-Agent', 'X-Anything']) {
        await send(port(), 'GET', '/auth/session', [[name, `a${bytes}b`]]);
        await send(port(), 'POST', '/auth/logout', [[name, `${bytes}`], ['X-OIDC-Session', '1']]);
      }
    }
    // A header repeated: Node joins it; the CSRF check then sees "1, 1", not "1".
    const twice = await send(port(), 'POST', '/auth/logout', [['X-OIDC-Session', '1'], ['X-OIDC-Session', '1'], ['Origin', world.appOrigin]]);
    expect(twice.status).toBe(403);
    await send(port(), 'POST', '/auth/logout', [['X-OIDC-Session', '1'], ['Transfer-Encoding', 'chunked']], 'zz\r\nnot chunked\r\n');
    await send(port(), 'POST', '/auth/logout', [['X-OIDC-Session', '1'], ['Content-Type', 'application/json']], '{"a":'.repeat(1000));
    await send(port(), 'GET', '/auth/session', Array.from({ length: 300 }, (_, i): [string, string] => [`X-H${i}`, 'v'.repeat(40)]));
    await send(port(), 'GET', '/auth/session', [['Cookie', `${SESSION_COOKIE}=${'A'.repeat(15_000)}`]]);
  });

  test("the app's own throw after sessionMiddleware does not end the process", async () => {
    // The app threw: its 500 is not ours to avoid. The point is that the process is still here and answers.
    const response = await rawRequest(port(), 'GET', '/api/throws');
    expect(response.status).toBe(500);
    expectAlive('after /api/throws');
    expect((await send(port(), 'GET', '/api/me', [['Cookie', `${SESSION_COOKIE}=${session}`]])).status).toBe(200);
  });
});

test('after all of it the process still signs users in', async () => {
  expectAlive('the end');
  expect(output).not.toMatch(/Unhandled|TypeError|RangeError/);
  const { jar } = await login(world);
  expect(sessionCookie(jar)).toMatch(/^[\w-]{43}$/);
});

/** A response object that records what the adapter did; `failOn` makes one of its methods throw. */
function fakeResponse(failOn?: 'setHeader' | 'end') {
  const record = { statusCode: 0, headers: {} as Record<string, unknown>, ended: 0, body: undefined as string | undefined, headersSent: false, destroyed: false };
  const res: NodeResponse & { headersSent: boolean; destroy(): void } = {
    get statusCode() {
      return record.statusCode;
    },
    set statusCode(value) {
      record.statusCode = value;
    },
    get headersSent() {
      return record.headersSent;
    },
    setHeader(name, value) {
      if (failOn === 'setHeader') throw new TypeError('Invalid character in header content');
      record.headers[name] = value;
    },
    end(body) {
      if (failOn === 'end') throw new Error('write after end');
      record.ended++;
      record.body = body;
      record.headersSent = true;
    },
    destroy() {
      record.destroyed = true;
    },
  };
  return { res, record };
}

describe('nodeHandler and sessionMiddleware in-process: no throw escapes', () => {
  const server = () =>
    createSessionServer({ issuer: 'https://op.test', clientId: 'c', clientSecret: 's', appUrl: 'https://rp.test', secret: SECRET, fetch: () => Promise.reject(new TypeError('offline')) });

  /** Runs `act` and collects what it throws, and unhandled rejections and uncaught exceptions while the event loop settles. */
  async function escaped(act: () => void): Promise<unknown[]> {
    const seen: unknown[] = [];
    const onError = (error: unknown) => void seen.push(error);
    process.on('unhandledRejection', onError);
    process.on('uncaughtException', onError);
    try {
      try {
        act();
      } catch (error) {
        seen.push(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onError);
      process.off('uncaughtException', onError);
    }
    return seen;
  }

  test('headers `Headers` refuses (not ByteStrings, bad names) are a 400, never a throw', async () => {
    const handle = nodeHandler(server());
    for (const headers of [{ cookie: '\u3000x=1' }, { origin: '\u2028' }, { 'bad name': 'x' }, { 'x-oidc-session': ['1', '\u0100'] }]) {
      const { res, record } = fakeResponse();
      const thrown = await escaped(() => handle({ method: 'GET', url: '/auth/session', headers } as NodeRequest, res));
      expect(thrown, JSON.stringify(headers)).toEqual([]);
      expect(record.statusCode, JSON.stringify(headers)).toBe(400);
      expect(record.ended).toBe(1);
    }
  });

  test('a response object that throws (setHeader, end) is no unhandled rejection', async () => {
    const handle = nodeHandler(server());
    for (const failOn of ['setHeader', 'end'] as const) {
      for (const method of ['GET', 'TRACE']) {
        const { res } = fakeResponse(failOn);
        const thrown = await escaped(() => handle({ method, url: '/auth/session', headers: {} }, res));
        expect(thrown, `${method} with ${failOn} throwing`).toEqual([]);
      }
    }
  });

  test('sessionMiddleware: a throwing response object or next() is no unhandled rejection', async () => {
    const middleware = sessionMiddleware(server(), { required: true });
    const { res } = fakeResponse('setHeader');
    expect(await escaped(() => middleware({ headers: {} }, res, () => undefined))).toEqual([]);
    const open = sessionMiddleware(server());
    const { res: res2, record } = fakeResponse();
    expect(
      await escaped(() =>
        open({ headers: {} }, res2, () => {
          throw new Error('the app');
        }),
      ),
    ).toEqual([]);
    expect(record.ended).toBe(1);
  });
});
