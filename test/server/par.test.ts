// Pushed authorization requests (RFC 9126) from the session server, against the real oidc-provider
// configured to require them: the login pushes with the client's authentication, the browser carries
// only client_id and request_uri, the login completes, and a replayed request_uri (one-time use, §7.3)
// is refused by the provider and lands on the app's error page, never on a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar } from '../support/fetch-login.mjs';
import { CLIENT_ID, CLIENT_SECRET, call, landingPageTarget, startWorld, type App, type World } from './harness.js';

/** What reached the provider's PAR endpoint: the form as sent (oidc-provider's parsed body), and the Authorization header. */
interface Pushed {
  params: Record<string, unknown>;
  authorization: string | undefined;
}

let world: World;
let app: App;
const pushes: Pushed[] = [];

beforeAll(async () => {
  world = await startWorld({
    configureProvider: (configuration) => ({
      ...configuration,
      features: { ...configuration.features, pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true } },
    }),
    providerMiddleware: [
      async (ctx, next) => {
        await next();
        if (ctx.oidc?.route === 'pushed_authorization_request') pushes.push({ params: { ...ctx.oidc.body }, authorization: ctx.headers.authorization });
      },
    ],
  });
  app = await world.startApp();
});
afterAll(() => world.close());

interface Hop {
  url: string;
  status: number;
  location: string | null;
}

/**
 * Follows redirects from `url` like a browser, app and provider cookies apart (and kept in `jars` across
 * calls), until a page that is no redirect. Every hop's status is kept: a 5xx anywhere is a failure.
 */
async function follow(url: string, jars: { app: CookieJar; provider: CookieJar }): Promise<Hop[]> {
  const hops: Hop[] = [];
  for (let i = 0; i < 20; i++) {
    const jar = url.startsWith(`${world.appOrigin}/`) ? jars.app : jars.provider;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    const location = response.headers.get('location') ?? landingPageTarget(response, await response.text());
    hops.push({ url, status: response.status, location });
    if (!location) return hops;
    url = new URL(location, url).href;
  }
  throw new Error(`no end: ${hops.map((hop) => hop.url).join(' -> ')}`);
}

const providerHop = (hops: Hop[]) => hops.find((hop) => hop.url.startsWith(world.provider.issuer)) as Hop;

describe('pushedAuthorizationRequests (default "auto") with a provider that requires them', () => {
  let jars: { app: CookieJar; provider: CookieJar };
  let hops: Hop[];

  beforeAll(async () => {
    jars = { app: new CookieJar(), provider: new CookieJar() };
    pushes.length = 0;
    hops = await follow(`${world.appOrigin}/auth/login?returnTo=%2Fhome&login_hint=ada%40example.com`, jars);
  });

  it('pushes the whole request, with the client authenticated as at the token endpoint', () => {
    expect(pushes).toHaveLength(1);
    const [push] = pushes as [Pushed];
    // client_secret_basic, as at the token endpoint: form-encoded id and secret (RFC 6749 §2.3.1).
    const [scheme, credentials] = (push.authorization ?? '').split(' ');
    expect(scheme).toBe('Basic');
    expect(atob(credentials ?? '').split(':').map(decodeURIComponent)).toEqual([CLIENT_ID, CLIENT_SECRET]);
    const params = push.params;
    expect(params.client_id).toBe(CLIENT_ID);
    expect(params.redirect_uri).toBe(`${world.appOrigin}/auth/callback`);
    expect(params.response_type).toBe('code');
    expect(params.scope).toBe('openid profile email offline_access');
    expect(params.code_challenge_method).toBe('S256');
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(params.nonce).toEqual(expect.any(String));
    expect(params.login_hint).toBe('ada@example.com');
    // The state the provider sends back is the pushed one.
    const callback = new URL(hops.find((hop) => hop.url.startsWith(`${world.appOrigin}/auth/callback`))?.url as string);
    expect(callback.searchParams.get('state')).toBe(params.state);
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('sends the browser to the authorization endpoint with client_id and request_uri only', () => {
    const login = hops[0] as Hop;
    expect(login.status).toBe(303);
    const front = new URL(login.location as string);
    expect(front.origin + front.pathname).toBe(`${world.provider.issuer}/auth`);
    expect([...front.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(front.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(front.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('completes the login', async () => {
    expect(hops.at(-1)?.url).toBe(`${world.appOrigin}/home`);
    expect(hops.every((hop) => hop.status < 500 || hop.url === `${world.appOrigin}/home`)).toBe(true);
    const session = await call(world, jars.app, '/auth/session');
    expect(session.status).toBe(200);
    expect((session.body as { user: { sub: string } }).user.sub).toBe('ada');
    expect(world.provider.count('token', 'authorization_code')).toBeGreaterThanOrEqual(1);
  });

  it('pushes each login anew: a replayed request_uri is refused by the provider and lands on the app with an error, never a 500', async () => {
    const used = providerHop(hops).url;
    // The same browser, with its provider session and its app session, opens the used URL again: were it
    // an ordinary authorization URL, the provider would sign the user in silently with a fresh code.
    const replay = await follow(used, jars);
    const atProvider = replay[0] as Hop;
    expect(atProvider.status).toBe(303);
    const answer = new URL(atProvider.location as string);
    expect(answer.origin + answer.pathname).toBe(`${world.appOrigin}/auth/callback`);
    expect(answer.searchParams.get('error')).toBe('invalid_request_uri');
    expect(answer.searchParams.has('code')).toBe(false);
    // The session server: no state, so no pending login to fail; the app's error page, its session untouched.
    const callback = replay[1] as Hop;
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${world.appOrigin}/?auth_error=transaction_not_found`);
    for (const hop of replay.filter((hop) => hop.url.startsWith(`${world.appOrigin}/auth/`))) expect(hop.status).toBeLessThan(500);
    expect((await call(world, jars.app, '/auth/session')).status).toBe(200);

    // A new login from the same browser pushes again and gets another request_uri.
    pushes.length = 0;
    const again = await follow(`${world.appOrigin}/auth/login?returnTo=%2Fagain`, jars);
    expect(pushes).toHaveLength(1);
    const fresh = new URL(again[0]?.location as string).searchParams.get('request_uri');
    expect(fresh).not.toBe(new URL(used).searchParams.get('request_uri'));
    expect(again.at(-1)?.url).toBe(`${world.appOrigin}/again`);
  });
});

describe('pushedAuthorizationRequests: false with a provider that requires them', () => {
  it('sends the request in the URL, which the provider refuses: the app gets the error back', async () => {
    await app.close();
    app = await world.startApp({ pushedAuthorizationRequests: false });
    try {
      pushes.length = 0;
      const hops = await follow(`${world.appOrigin}/auth/login?returnTo=%2Fhome`, { app: new CookieJar(), provider: new CookieJar() });
      expect(pushes).toEqual([]);
      const front = new URL(hops[0]?.location as string);
      expect(front.searchParams.get('request_uri')).toBeNull();
      expect(front.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
      const callback = hops.find((hop) => hop.url.startsWith(`${world.appOrigin}/auth/callback`)) as Hop;
      expect(new URL(callback.url).searchParams.get('error')).toBe('invalid_request');
      expect(callback.location).toBe(`${world.appOrigin}/home?auth_error=invalid_request`);
    } finally {
      await app.close();
      app = await world.startApp();
    }
  });
});
