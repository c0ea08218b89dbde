// One session-server world per test file: the real oidc-provider with a confidential client, and an
// app on node:http that mounts the session server and one API route that reads the session. Plus the
// helpers the suites share: a browser-like login, requests with cookies, a fake clock, a Redis client,
// the tokens a store keeps (opened with the test secret) and direct calls to the provider.
import { createServer, type Server } from 'node:http';
import { createClient, type RedisClientType } from 'redis';
import { startProvider } from '../../demo/provider.mjs';
import { createSessionServer, nodeHandler, sessionMiddleware, type SessionServer, type SessionServerOptions } from '../../src/server/index.js';
import type { ServerTokens } from '../../src/server/relying-party.js';
import { createKeyedHash, createSealer } from '../../src/server/seal.js';
import { CookieJar } from '../support/fetch-login.mjs';
import { freePort } from '../support/redis-server.mjs';

export const CLIENT_ID = 'session-server-test';
export const CLIENT_SECRET = 'a-client-secret-for-the-tests-only';
export const SECRET = 'test-secret-test-secret-test-secret-0123456789';

export interface World {
  provider: Awaited<ReturnType<typeof startProvider>>;
  appPort: number;
  appOrigin: string;
  /** Starts an app instance on `appPort` with these options (the app's origin stays the same across restarts). */
  startApp(options?: Partial<SessionServerOptions>): Promise<App>;
  close(): Promise<void>;
}

export interface App {
  server: SessionServer;
  close(): Promise<void>;
}

export interface WorldConfig {
  accessTokenTtl?: number;
  autoLogin?: string;
  authMethod?: string;
  /** Koa middleware run before the provider's routes (e.g. to slow the token endpoint down). */
  providerMiddleware?: Array<(ctx: any, next: () => Promise<void>) => Promise<void>>;
  /** Adjusts oidc-provider's configuration (e.g. `acrValues`). */
  configureProvider?: (configuration: any) => any;
  /** More client metadata for the app's client (e.g. `backchannel_logout_uri`), given the app's origin. */
  clientMetadata?: (appOrigin: string) => Record<string, unknown>;
}

export async function startWorld(config: WorldConfig = {}): Promise<World> {
  const appPort = await freePort();
  const appOrigin = `http://localhost:${appPort}`;
  const provider = await startProvider({
    redirectUris: [],
    postLogoutRedirectUris: [],
    accessTokenTtl: config.accessTokenTtl ?? 60,
    autoLogin: config.autoLogin ?? 'ada',
    middleware: config.providerMiddleware ?? [],
    ...(config.configureProvider ? { configure: config.configureProvider } : {}),
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        application_type: 'web',
        token_endpoint_auth_method: config.authMethod ?? 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appOrigin}/auth/callback`],
        post_logout_redirect_uris: [`${appOrigin}/`],
        ...config.clientMetadata?.(appOrigin),
      },
    ],
  });
  const apps = new Set<App>();
  return {
    provider,
    appPort,
    appOrigin,
    async startApp(options = {}) {
      const server = createSessionServer({
        issuer: provider.issuer,
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        appUrl: appOrigin,
        secret: SECRET,
        scope: 'openid profile email offline_access',
        ...options,
      });
      const handle = nodeHandler(server);
      const me = sessionMiddleware(server, { required: true });
      const http: Server = createServer((req, res) => {
        if (req.url === '/api/me') {
          return me(req, res, () => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ sub: req.oidcSession?.user.sub }));
          });
        }
        handle(req, res);
      });
      await new Promise<void>((resolve, reject) => {
        http.once('error', (error) => reject(new Error(`the app cannot listen on its origin's port ${appPort}: ${error.message}`)));
        http.listen(appPort, '127.0.0.1', resolve);
      });
      const app: App = {
        server,
        close: async () => {
          apps.delete(app);
          await new Promise<void>((resolve) => {
            http.close(() => resolve());
            http.closeAllConnections();
          });
          // Let this process's fetch see its keep-alive sockets close before the next app takes the port,
          // or it may send the next request down a dead one ("other side closed").
          await new Promise((resolve) => setTimeout(resolve, 25));
        },
      };
      apps.add(app);
      return app;
    },
    async close() {
      await Promise.all([...apps].map((app) => app.close()));
      await provider.close();
    },
  };
}

declare module 'node:http' {
  interface IncomingMessage {
    oidcSession?: import('../../src/server/index.js').Session | undefined;
  }
}

/** Logs in through the app's session server; resolves with the browser-side cookie jar. */
export async function login(world: World, returnTo = '/home', options: LoginOptions = {}): Promise<{ jar: CookieJar; finalUrl: string }> {
  return loginAt(world, { ...options, returnTo });
}

export interface LoginOptions {
  /** Where the app really listens (e.g. a child process's `http://127.0.0.1:port`); URLs on the app's origin are sent there. Default the app origin. */
  base?: string;
  /** The browser's app cookies before the login (fixation tests); updated in place. */
  jar?: CookieJar;
  returnTo?: string;
  /** More of `GET login`'s query (`prompt=login&max_age=60`), appended after `returnTo`. */
  query?: string;
  /** The browser's cookies at the provider (its session); default a new jar. Returned as `providerJar`. */
  providerJar?: CookieJar;
}

/**
 * Follows a login like a browser: app and provider cookies kept apart, redirects followed by hand.
 * Requests for the app's origin go to `base`, so several instances behind one origin can be driven.
 */
export async function loginAt(
  world: World,
  options: LoginOptions = {},
): Promise<{ jar: CookieJar; providerJar: CookieJar; finalUrl: string; status: number; hops: string[]; setCookies: string[] }> {
  const base = options.base ?? world.appOrigin;
  const app = options.jar ?? new CookieJar();
  const provider = options.providerJar ?? new CookieJar();
  const toBase = (url: string) => (url.startsWith(`${world.appOrigin}/`) ? base + url.slice(world.appOrigin.length) : url);
  const toOrigin = (url: string) => (url.startsWith(`${base}/`) ? world.appOrigin + url.slice(base.length) : url);
  let url = `${base}/auth/login?returnTo=${encodeURIComponent(options.returnTo ?? '/home')}${options.query ? `&${options.query}` : ''}`;
  const hops: string[] = [];
  /** Every Set-Cookie the app sent, in order. */
  const setCookies: string[] = [];
  for (let i = 0; i < 20; i++) {
    hops.push(toOrigin(url));
    const jar = url.startsWith(`${base}/`) ? app : provider;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    if (jar === app) setCookies.push(...response.headers.getSetCookie());
    // The callback's same-origin landing page (SameSite=Strict session cookie) moves on by a meta refresh.
    const location = response.headers.get('location') ?? landingPageTarget(response, await response.text());
    if ((response.status < 300 || response.status >= 400 || !location) && !(response.status === 200 && location)) {
      return { jar: app, providerJar: provider, finalUrl: toOrigin(url), status: response.status, hops, setCookies };
    }
    url = toBase(new URL(location, url).href);
  }
  throw new Error(`login did not finish: ${hops.join(' -> ')}`);
}

export interface CallInit {
  method?: string;
  /** Adds the same-origin CSRF header, Origin and Sec-Fetch-Site a browser sends from the app's pages. */
  csrf?: boolean;
  headers?: Record<string, string>;
  /** Where the app really listens; default the app origin. */
  base?: string;
}

/** A request to the app with the jar's cookies (and same-origin CSRF header when asked). */
export async function call(world: World, jar: CookieJar | string, path: string, init: CallInit = {}) {
  const headers: Record<string, string> = { cookie: typeof jar === 'string' ? jar : jar.header() };
  if (init.csrf) Object.assign(headers, { 'x-oidc-session': '1', origin: world.appOrigin, 'sec-fetch-site': 'same-origin' });
  Object.assign(headers, init.headers);
  const response = await fetch((init.base ?? world.appOrigin) + path, { method: init.method ?? 'GET', headers, redirect: 'manual' });
  if (typeof jar !== 'string') jar.take(response);
  const text = await response.text();
  return { status: response.status, body: text ? safeJson(text) : undefined, headers: response.headers };
}

/** The session cookie's value in a jar (throws when there is none: a test expecting a session should fail loudly). */
export function sessionCookie(jar: CookieJar): string {
  const value = jar.cookies.get(SESSION_COOKIE);
  if (!value) throw new Error(`no ${SESSION_COOKIE} cookie in the jar: ${jar.header()}`);
  return value;
}

export const SESSION_COOKIE = '__Host-oidc-session';

/** A clock the tests move: real time plus an offset, so provider-issued tokens and timestamps stay plausible. */
export function fakeClock(): { now: () => number; advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

/**
 * The store key of one of a session's entries (`s` the session, `t` its tokens, `l` its refresh lock),
 * derived from the id as the server does with the test secret (or `secrets`).
 * Stores never see the id itself.
 */
export async function storeKey(sessionId: string, entry: 's' | 't' | 'l' = 's', secrets: readonly string[] = [SECRET]): Promise<string> {
  const [handle] = await createKeyedHash(secrets, 'store-key')(sessionId);
  return `${entry}:${handle}`;
}

/**
 * The Redis key `redisStore()` keeps a store key under: `<prefix><kind>:{<h>}`, the hash tag putting a
 * session's entries in one Cluster slot.
 */
export function redisKey(key: string, prefix = 'oidc-session:'): string {
  const colon = key.indexOf(':');
  return `${prefix}${key.slice(0, colon + 1)}{${key.slice(colon + 1)}}`;
}

/** The store key of a Redis key `redisStore()` wrote (the inverse of {@link redisKey}); throws on any other shape. */
export function storeKeyOf(redisKeyName: string, prefix = 'oidc-session:'): string {
  const match = redisKeyName.startsWith(prefix) ? /^([^:{}]*:)\{([^{}]*)\}$/.exec(redisKeyName.slice(prefix.length)) : null;
  if (!match) throw new Error(`not a key redisStore() writes: ${redisKeyName}`);
  return `${match[1]}${match[2]}`;
}

/** The tokens a session keeps in a store, opened with the test secret (`get` reads the raw store entry). */
export async function storedTokens(get: (key: string) => Promise<string | null | undefined>, sessionId: string): Promise<ServerTokens | undefined> {
  const key = await storeKey(sessionId, 't');
  const sealed = await get(key);
  if (!sealed) return undefined;
  const plain = await createSealer([SECRET], 'tokens').unseal(sealed, key);
  if (plain === undefined) throw new Error('the stored tokens do not open with the test secret');
  return JSON.parse(plain) as ServerTokens;
}

/** A connected node-redis client that never crashes the test process on an outage. */
export async function redisClient(url: string): Promise<RedisClientType> {
  const client: RedisClientType = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** A refresh-token grant sent straight to the provider with the test client's credentials. */
export async function refreshAtProvider(world: World, refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return providerPost(world, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** Revokes a token at the provider's revocation endpoint with the test client's credentials. */
export async function revokeAtProvider(world: World, token: string): Promise<number> {
  return (await providerPost(world, '/token/revocation', { token, token_type_hint: 'refresh_token' })).status;
}

async function providerPost(world: World, path: string, form: Record<string, string>) {
  const response = await fetch(world.provider.issuer + path, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${CLIENT_ID}:${CLIENT_SECRET}`)}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? safeJson(text) : {}) as Record<string, unknown> };
}

/** Polls until `check` holds (for effects the server starts without awaiting them), or fails with `what`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Where the session server's landing page (a 200 with a meta refresh) sends the browser, if this is one. */
export function landingPageTarget(response: Response, body: string): string | null {
  if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/html')) return null;
  const match = /<meta http-equiv="refresh" content="0;url=([^"]*)">/.exec(body);
  return match ? (match[1] as string).replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))) : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Signs out at the provider as the user's browser (holding `providerJar`) would submit its logout
 * page: the provider then posts its logout tokens to the back-channel URIs of the clients involved.
 */
export async function signOutAtProvider(world: World, providerJar: CookieJar): Promise<void> {
  const page = await fetch(`${world.provider.issuer}/session/end?client_id=${CLIENT_ID}`, { headers: { cookie: providerJar.header() }, redirect: 'manual' });
  providerJar.take(page);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!xsrf) throw new Error(`the provider shows no logout form (status ${page.status})`);
  const confirm = await fetch(`${world.provider.issuer}/session/end/confirm`, {
    method: 'POST',
    headers: { cookie: providerJar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
    redirect: 'manual',
  });
  providerJar.take(confirm);
  if (confirm.status >= 400) throw new Error(`the provider refused the logout: ${confirm.status}`);
  await confirm.arrayBuffer();
}
