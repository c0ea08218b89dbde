// Relying parties in both modes, wired to the in-process fake provider, for the certification-module
// tests (oidcc-client-test.test.ts) and the conformance gaps (conformance-gaps.test.ts): the browser
// SDK (AuthClient) and the session server (createSessionServer, driven through its Web handler).
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { expect } from 'vitest';
import { createSessionServer } from '../../src/server/index.js';
import { createFakeProvider, type FakeProvider } from './fake-provider.js';
import { setup } from './harness.js';

export type Claims = Record<string, unknown>;
export type Outcome = { ok: true; sub: string } | { ok: false; code: string; name?: string };
export type Mode = 'browser' | 'server';
export const MODES: Mode[] = ['browser', 'server'];

export const APP = 'https://app.test';
const SECRET = 'oidcc-module-secret-oidcc-module-secret-0123';

/** One relying party (in the given mode) wired to one fake provider and one clock. */
export interface World {
  provider: FakeProvider;
  /** Requests the RP sent to the provider, by path. */
  count(path: string, grant?: string): number;
  /**
   * Login, the user's consent, the callback (with `extra` parameters added, then passed through
   * `alter`): the RP's verdict.
   */
  signIn(sub?: string, extra?: Record<string, string>, alter?: (callback: string) => string): Promise<Outcome>;
  /** Whether the RP holds a session now (browser: state and storage; server: `GET session`). */
  signedIn(): Promise<boolean>;
  /** Tokens the RP persisted where the page can see them (browser storage; server: none ever). */
  storedTokens(): string[];
  /** Spends the refresh token once. */
  refresh(): Promise<Outcome>;
  /** Logs out; the URL the browser is sent to. */
  logout(): Promise<string>;
  /** The authorization request the RP last sent. */
  lastAuthorization(): URLSearchParams;
  lastAuthorizationUrl(): string;
  advance(ms: number): void;
}

export const errorOf = (error: unknown): Outcome => ({ ok: false, code: String((error as { code?: unknown }).code), name: (error as Error).name });

export type FetchWrapper = (inner: typeof fetch) => typeof fetch;
export interface WorldOptions {
  wrapFetch?: FetchWrapper;
  idTokenSigningAlg?: string;
}

export async function browserWorld({ wrapFetch, idTokenSigningAlg }: WorldOptions = {}): Promise<World> {
  const s = await setup();
  const client =
    wrapFetch || idTokenSigningAlg
      ? s.makeClient({ ...(wrapFetch ? { fetch: wrapFetch(s.provider.fetch) } : {}), ...(idTokenSigningAlg ? { idTokenSigningAlg } : {}) })
      : s.client;
  return {
    provider: s.provider,
    count: s.provider.count,
    async signIn(sub = 'alice', extra = {}, alter = (callback: string) => callback) {
      try {
        await client.login({ returnTo: '/after' });
        const result = await client.handleCallback(alter(s.provider.authorize(s.navigations.at(-1) as string, sub, extra)));
        return { ok: true, sub: result.user.sub };
      } catch (error) {
        return errorOf(error);
      }
    },
    signedIn: async () => client.state.status === 'authenticated',
    storedTokens: s.storedTokens,
    async refresh() {
      try {
        await client.getAccessToken({ forceRefresh: true });
        return { ok: true, sub: ((await client.getUser()) as { sub: string }).sub };
      } catch (error) {
        return errorOf(error);
      }
    },
    async logout() {
      await client.logout();
      return s.navigations.at(-1) as string;
    },
    lastAuthorization: () => new URL(s.navigations.filter((n) => n.includes('/authorize')).at(-1) as string).searchParams,
    lastAuthorizationUrl: () => s.navigations.filter((n) => n.includes('/authorize')).at(-1) as string,
    advance: s.clock.advance,
  };
}

/** Cookies a response sets, as a request `cookie` header would carry them (expired ones dropped). */
export function jar(response: Response, previous = new Map<string, string>()): Map<string, string> {
  const next = new Map(previous);
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    if (/max-age=0(;|$)/i.test(line) || at < 1) next.delete(name);
    else next.set(name, pair.slice(at + 1));
  }
  return next;
}
export const cookieHeader = (cookies: Map<string, string>) => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');

export async function serverWorld(overrides: Partial<Parameters<typeof createSessionServer>[0]> = {}, wrapFetch?: FetchWrapper): Promise<World> {
  let now = Date.UTC(2026, 10, 27, 12);
  const clock = () => now;
  const provider = await createFakeProvider({ now: clock });
  const server = createSessionServer({
    issuer: provider.issuer,
    clientId: provider.clientId,
    appUrl: APP,
    secret: SECRET,
    fetch: wrapFetch ? wrapFetch(provider.fetch) : provider.fetch,
    now: clock,
    // A public client, said explicitly (the fake provider knows no secrets), unless a test brings one.
    ...(overrides.clientSecret ? {} : { tokenEndpointAuthMethod: 'none' as const }),
    ...overrides,
  });
  let cookies = new Map<string, string>();
  let authorization = '';
  const get = (path: string) => server.handle(new Request(`${APP}${path}`, { headers: { cookie: cookieHeader(cookies) } }));
  return {
    provider,
    count: provider.count,
    async signIn(sub = 'alice', extra = {}, alter = (callback: string) => callback) {
      const login = await get('/auth/login?returnTo=%2Fafter');
      cookies = jar(login, cookies);
      authorization = login.headers.get('location') ?? '';
      if (!authorization.startsWith(provider.issuer)) return { ok: false, code: `login answered ${login.status}` };
      const callback = new URL(alter(provider.authorize(authorization, sub, extra)));
      const done = await get(callback.pathname + callback.search);
      cookies = jar(done, cookies);
      const landed = new URL(done.headers.get('location') ?? '', APP);
      const error = landed.searchParams.get('auth_error');
      if (error) return { ok: false, code: error };
      const session = await get('/auth/session');
      return session.status === 200 ? { ok: true, sub: ((await session.json()) as { user: { sub: string } }).user.sub } : { ok: false, code: `session ${session.status}` };
    },
    signedIn: async () => (await get('/auth/session')).status === 200,
    // The server never hands tokens to the browser: nothing in the cookie jar may carry one in clear.
    storedTokens: () => [...cookies.values()].filter((v) => /(at|rt)-|eyJ/.test(v)),
    async refresh() {
      try {
        now += 3_600_000;
        const token = await server.getAccessToken({ headers: { cookie: cookieHeader(cookies) } });
        if (!token) return { ok: false, code: 'no_session' };
        const session = await get('/auth/session');
        return session.status === 200 ? { ok: true, sub: ((await session.json()) as { user: { sub: string } }).user.sub } : { ok: false, code: 'no_session' };
      } catch (error) {
        return errorOf(error);
      }
    },
    async logout() {
      const response = await server.handle(
        new Request(`${APP}/auth/logout`, {
          method: 'POST',
          headers: { cookie: cookieHeader(cookies), origin: APP, 'sec-fetch-site': 'same-origin', 'x-oidc-session': '1' },
        }),
      );
      cookies = jar(response, cookies);
      return ((await response.json()) as { redirectTo: string }).redirectTo;
    },
    lastAuthorization: () => new URL(authorization).searchParams,
    lastAuthorizationUrl: () => authorization,
    advance: (ms) => void (now += ms),
  };
}

export const world = (mode: Mode, options: WorldOptions = {}) =>
  mode === 'browser'
    ? browserWorld(options)
    : serverWorld(options.idTokenSigningAlg ? { idTokenSigningAlg: options.idTokenSigningAlg } : {}, options.wrapFetch);

// ---- ID tokens made to order: the fake provider's claims, re-encoded with the header and key a module uses.

let otherRsaKey: Promise<CryptoKey> | undefined;
const rsaKey = () => (otherRsaKey ??= generateKeyPair('RS256').then((pair) => pair.privateKey as CryptoKey));
export const claimsOf = (jwt: string): Claims => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Claims;

/** Re-issues the ID token of each matching token response through `reissue`. */
export function reissueIdTokens(provider: FakeProvider, reissue: (claims: Claims) => Promise<string>, grant = 'authorization_code') {
  provider.hooks.token = async (body, normal) => {
    const response = await normal();
    if (body.get('grant_type') !== grant || response.status !== 200) return response;
    const json = (await response.json()) as Claims;
    if (typeof json.id_token === 'string') json.id_token = await reissue(claimsOf(json.id_token));
    return provider.json(json);
  };
}

export const signRs256 = async (claims: Claims, header: Record<string, string> = { alg: 'RS256', kid: 'k2' }) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...header }).sign(await rsaKey());
export const corruptSignature = (jwt: string) => {
  const [h, p, sig = ''] = jwt.split('.');
  return `${h}.${p}.${(sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)}`;
};

/** Every outcome of a module that requires the RP to reject the ID token: typed error, nothing kept. */
export async function expectRejectedIdToken(w: World, outcome: Outcome) {
  expect(outcome).toMatchObject({ ok: false, code: 'invalid_id_token' });
  expect(await w.signedIn()).toBe(false);
  expect(w.storedTokens()).toEqual([]);
}

