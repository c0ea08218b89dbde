// Starts the app server and the local provider together, wired to each other. Used by `npm run demo`,
// the end-to-end tests and the benchmark.
import { fileURLToPath } from 'node:url';
import { startAppServer } from './app-server.mjs';
import { startProvider } from './provider.mjs';
import { demoSessionServer, sessionServerClient } from './session-server.mjs';

const demoPages = fileURLToPath(new URL('./public/', import.meta.url));

/**
 * @param {object} [options]
 * @param {number} [options.appPort] 0 (default) picks a free port.
 * @param {string} [options.appHost] `localhost` (default, the provider's site too) or `127.0.0.1` (another site than the provider's).
 * @param {number} [options.providerPort] 0 (default) picks a free port.
 * @param {number} [options.accessTokenTtl] Seconds; default 60.
 * @param {Record<string, string>} [options.pages] More URL prefixes to page folders (the tests' pages).
 * @param {string[]} [options.pagePaths] Paths of pages that act as redirect URIs, besides the demo's.
 * @param {string[]} [options.extraRedirectUris] Absolute URLs of another app (the developer's own) to register too.
 * @param {(config: object, app: string) => object} [options.configureProvider] Adjusts oidc-provider's configuration.
 * @param {boolean} [options.trailingSlash] Issuer with a trailing slash.
 * @param {string} [options.autoLogin] Sign this user in without the form.
 * @param {Array<(ctx: any, next: () => Promise<void>) => Promise<void>>} [options.providerMiddleware] Extra Koa middleware for the provider.
 * @param {{ store?: any, options?: object }} [options.sessionServer] The session server's store (default: memory) and more options.
 * @param {string[]} [options.spaFallback] Keys of `pages` served as single-page apps: deep links under them get the prefix's index.html.
 * @param {string} [options.sessionServerPostLogoutPath] Where the session server sends the user after logout (a path on the
 *   app, registered at the provider). Default: the demo's session-server page.
 */
export async function startStack(options = {}) {
  /** @type {{ issuer: string, clientId: string } | undefined} */
  let config;
  /** @type {ReturnType<typeof demoSessionServer> | undefined} */
  let sessionServer;
  const app = await startAppServer({
    port: options.appPort ?? 0,
    ...(options.appHost ? { host: options.appHost } : {}),
    pages: { '/demo/': demoPages, ...options.pages },
    config: () => config ?? {},
    middleware: () => sessionServer?.handlers ?? [],
    ...(options.spaFallback ? { spaFallback: options.spaFallback } : {}),
  });
  const pageUrls = [...['/demo/', '/demo/cdn.html', ...(options.pagePaths ?? [])].map((path) => app.origin + path), ...(options.extraRedirectUris ?? [])];
  const provider = await startProvider({
    port: options.providerPort ?? 0,
    redirectUris: pageUrls,
    postLogoutRedirectUris: pageUrls,
    accessTokenTtl: options.accessTokenTtl ?? 60,
    trailingSlash: options.trailingSlash,
    autoLogin: options.autoLogin,
    middleware: options.providerMiddleware,
    clients: [withPostLogoutPath(sessionServerClient(app.origin), app.origin, options.sessionServerPostLogoutPath)],
    configure: options.configureProvider ? (config) => options.configureProvider(config, app.origin) : undefined,
  });
  config = { issuer: provider.issuer, clientId: provider.clientId };
  const postLogout = options.sessionServerPostLogoutPath;
  const sessionServerOptions = { ...options.sessionServer, options: { ...(postLogout ? { postLogoutRedirectUri: app.origin + postLogout } : {}), ...options.sessionServer?.options } };
  sessionServer = demoSessionServer({ issuer: provider.issuer, appOrigin: app.origin, ...sessionServerOptions });
  return {
    app,
    provider,
    sessionServer: sessionServer.server,
    close: async () => void (await Promise.all([app.close(), provider.close()])),
  };
}

/** The session server's registration, with one more post-logout page when a test app asks for its own. */
function withPostLogoutPath(client, origin, path) {
  return path ? { ...client, post_logout_redirect_uris: [...client.post_logout_redirect_uris, origin + path] } : client;
}
