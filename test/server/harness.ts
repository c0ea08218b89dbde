// One session-server world per test file: the real oidc-provider with a confidential client, and an
// app on node:http that mounts the session server and one API route that reads the session.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startProvider } from '../../demo/provider.mjs';
import { createSessionServer, nodeHandler, sessionMiddleware, type SessionServer, type SessionServerOptions } from '../../src/server/index.js';
import { CookieJar, fetchLogin } from '../support/fetch-login.mjs';
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

export async function startWorld(config: { accessTokenTtl?: number; autoLogin?: string; authMethod?: string } = {}): Promise<World> {
  const appPort = await freePort();
  const appOrigin = `http://localhost:${appPort}`;
  const provider = await startProvider({
    redirectUris: [],
    postLogoutRedirectUris: [],
    accessTokenTtl: config.accessTokenTtl ?? 60,
    autoLogin: config.autoLogin ?? 'ada',
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
      await new Promise<void>((resolve) => http.listen(appPort, '127.0.0.1', resolve));
      const app: App = {
        server,
        close: () => new Promise<void>((resolve) => {
          apps.delete(app);
          http.close(() => resolve());
          http.closeAllConnections();
        }),
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
export async function login(world: World, returnTo = '/home'): Promise<{ jar: CookieJar; finalUrl: string }> {
  const { app, finalUrl } = await fetchLogin(`${world.appOrigin}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  return { jar: app, finalUrl };
}

/** A request to the app with the jar's cookies (and same-origin CSRF header when asked). */
export async function call(world: World, jar: CookieJar | string, path: string, init: { method?: string; csrf?: boolean; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { cookie: typeof jar === 'string' ? jar : jar.header(), ...init.headers };
  if (init.csrf) Object.assign(headers, { 'x-oidc-session': '1', origin: world.appOrigin, 'sec-fetch-site': 'same-origin' });
  const response = await fetch(world.appOrigin + path, { method: init.method ?? 'GET', headers, redirect: 'manual' });
  if (typeof jar !== 'string') jar.take(response);
  const text = await response.text();
  return { status: response.status, body: text ? safeJson(text) : undefined, headers: response.headers };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
