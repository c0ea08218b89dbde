// A session server in process against the fake provider (test/unit/fake-provider.ts) behind a fake
// fetch: for the cases the real oidc-provider cannot be made to produce (refreshed ID tokens for
// another user, huge or malformed answers, broken discovery documents).
import { createSessionServer, memoryStore, type SessionServer, type SessionServerOptions } from '../../src/server/index.js';
import type { FakeProvider } from '../unit/fake-provider.js';
import { SECRET } from './harness.js';

export const APP = 'https://app.test';
export const SESSION = '__Host-oidc-session';
/** What the session-server-mode client sends on its own requests. */
export const CSRF_HEADERS = { 'x-oidc-session': '1', origin: APP, 'sec-fetch-site': 'same-origin' };

/** A public client of `fake` at {@link APP}, with a memory store on the same clock. */
export function serverFor(fake: FakeProvider, options: Partial<SessionServerOptions> = {}): SessionServer {
  return createSessionServer({
    issuer: fake.issuer,
    clientId: 'app',
    tokenEndpointAuthMethod: 'none',
    appUrl: APP,
    secret: SECRET,
    fetch: fake.fetch as typeof fetch,
    store: memoryStore(options.now ? { now: options.now } : {}),
    ...options,
  });
}

/** Starts a login and answers it at the fake provider as `user`; resolves with the callback's response. */
export async function completeLogin(server: SessionServer, fake: FakeProvider, user = 'alice'): Promise<Response> {
  const start = await server.handle(new Request(`${APP}/auth/login?returnTo=/`));
  const pending = start.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
  return server.handle(new Request(fake.authorize(start.headers.get('location') as string, user), { headers: { cookie: pending } }));
}

/** Logs in as `user`; resolves with the session cookie as `name=value` (throws without one). */
export async function loginCookie(server: SessionServer, fake: FakeProvider, user = 'alice'): Promise<string> {
  const done = await completeLogin(server, fake, user);
  const session = done.headers.getSetCookie().find((cookie) => cookie.startsWith(`${SESSION}=`));
  if (!session) throw new Error(`no session after the login: ${done.status}`);
  return session.split(';')[0] as string;
}
