// A local OpenID provider (oidc-provider) for the demo and the end-to-end tests: a real login form
// that accepts any user name, refresh tokens that rotate (and revoke the grant on reuse), a short
// access-token lifetime so refreshes are visible, revocation and RP-initiated logout.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { loginPage, logoutPage, loggedOutPage, errorPage } from './provider-pages.mjs';

/**
 * @typedef {object} ProviderOptions
 * @property {number} [port] 0 picks a free port.
 * @property {string[]} redirectUris Registered redirect URIs of the demo client.
 * @property {string[]} postLogoutRedirectUris Registered post-logout redirect URIs.
 * @property {number} [accessTokenTtl] Access-token lifetime in seconds (default 60).
 * @property {string} [clientId] Default `demo-spa`.
 * @property {(config: object) => object} [configure] Adjusts the oidc-provider configuration (the benchmark
 *   adds clients and Auth0-style routes for auth0-spa-js).
 * @property {boolean} [trailingSlash] Issuer with a trailing slash (`http://localhost:4000/`), as auth0-spa-js expects.
 * @property {string} [autoLogin] Sign this user in without showing the form (the benchmark: no typing in the timings).
 * @property {object[]} [clients] More registered clients (oidc-provider client metadata), e.g. the session server's confidential client.
 * @property {Array<(ctx: any, next: () => Promise<void>) => Promise<void>>} [middleware] Extra Koa middleware, run
 *   before the provider's routes (oidc-provider mounts its router when the server starts, so it must come here).
 */

/**
 * Starts the provider on localhost.
 * @param {ProviderOptions} options
 */
export async function startProvider(options) {
  const server = createServer();
  await listen(server, options.port ?? 0);
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const issuer = `http://localhost:${port}${options.trailingSlash ? '/' : ''}`;
  const clientId = options.clientId ?? 'demo-spa';
  /** @type {{ route: string, method: string, grantType?: string, status: number }[]} */
  const requests = [];
  /** @type {string[]} */
  const revokedGrants = [];

  /** Every token the provider issued, for scans of what a client leaves behind. */
  const issued = new Set();
  const configuration = {
    clients: [
      {
        client_id: clientId,
        client_name: 'oidc-session demo',
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
      },
      ...(options.clients ?? []),
    ],
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    // Profile claims in the ID token, so the SPA can show the user without a UserInfo call.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => accountClaims(id) }),
    // Public clients get refresh tokens without offline_access, and the default policy rotates them.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: options.accessTokenTtl ?? 60,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
      Interaction: 3600,
    },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // A client may revoke only its own tokens.
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => void (ctx.body = logoutPage(form)),
        postLogoutSuccessSource: async (ctx) => void (ctx.body = loggedOutPage()),
      },
      // Signing out here posts a logout token to every client that registered a backchannel_logout_uri.
      backchannelLogout: { enabled: true },
    },
    // oidc-provider will not post logout tokens to loopback addresses (its SSRF guard, a dispatcher); the
    // demo's apps all listen on one. Never do this for a provider on a network.
    fetch: (url, init) => {
      delete init.dispatcher;
      return fetch(url, init);
    },
    renderError: async (ctx, out) => void (ctx.body = errorPage(out)),
  };
  const provider = new Provider(issuer, options.configure ? options.configure(configuration) : configuration);

  /**
   * How many requests hit `route` (oidc-provider route names: token, authorization, end_session, ...).
   * @param {string} route
   * @param {string} [grantType]
   */
  const count = (route, grantType) =>
    requests.filter((r) => r.route === route && (grantType === undefined || r.grantType === grantType)).length;

  provider.use(countRequests(requests));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'token' && ctx.body && typeof ctx.body === 'object') {
      for (const name of ['access_token', 'refresh_token', 'id_token']) if (ctx.body[name]) issued.add(ctx.body[name]);
    }
  });
  provider.use(interactions(provider, options.autoLogin));
  for (const middleware of options.middleware ?? []) provider.use(middleware);
  provider.on('grant.revoked', (_ctx, grantId) => void revokedGrants.push(grantId));
  server.on('request', provider.callback());

  return {
    issuer,
    clientId,
    provider,
    /** Requests the provider answered, newest last. */
    requests,
    /** Grants the provider revoked (refresh-token reuse, revocation). */
    revokedGrants,
    issued,
    count,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined)).closeAllConnections()),
  };
}

/** @param {{ route: string, method: string, grantType?: string, status: number }[]} log */
function countRequests(log) {
  return async (/** @type {any} */ ctx, /** @type {() => Promise<void>} */ next) => {
    await next();
    const route = ctx.oidc?.route ?? (ctx.path.startsWith('/interaction/') ? 'interaction' : ctx.path);
    if (ctx.method === 'OPTIONS') return;
    log.push({ route, method: ctx.method, grantType: ctx.oidc?.params?.grant_type, status: ctx.status });
  };
}

/** The login interaction: any user name signs in; Cancel answers `access_denied`. */
function interactions(/** @type {Provider} */ provider, /** @type {string | undefined} */ autoLogin) {
  return async (/** @type {any} */ ctx, /** @type {() => Promise<void>} */ next) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(ctx.path);
    if (!match) return next();
    const [, uid, action] = match;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) return next();
    const client = await provider.Client.find(String(details.params.client_id));

    if (ctx.method === 'GET' && !action) {
      if (details.prompt.name === 'consent') return finish(ctx, provider, await grantFor(provider, details, details.session?.accountId));
      if (autoLogin) return finish(ctx, provider, { login: { accountId: autoLogin }, ...(await grantFor(provider, details, autoLogin)) });
      ctx.type = 'html';
      ctx.body = loginPage({ uid, clientName: client?.clientName ?? 'an application', loginHint: details.params.login_hint });
      return;
    }
    if (ctx.method === 'POST' && action === 'abort') {
      return finish(ctx, provider, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
    }
    if (ctx.method === 'POST' && action === 'login') {
      const form = new URLSearchParams(await readBody(ctx.req));
      const login = (form.get('login') ?? '').trim().toLowerCase().replace(/[^a-z0-9._-]/g, '');
      if (!login) {
        ctx.type = 'html';
        ctx.body = loginPage({ uid, clientName: client?.clientName ?? 'an application', error: 'Enter any user name.' });
        return;
      }
      return finish(ctx, provider, { login: { accountId: login }, ...(await grantFor(provider, details, login)) });
    }
    return next();
  };
}

/** A first-party demo app: consent is given on the user's behalf for what was asked. */
async function grantFor(/** @type {Provider} */ provider, /** @type {any} */ details, /** @type {string} */ accountId) {
  // Reuse the session's grant only for the same user: signing in as someone else starts a new one.
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing?.accountId === accountId ? existing : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope));
  // Resource indicators (RFC 8707), when the provider has them on: the same consent for each API asked for.
  for (const resource of [details.params.resource ?? []].flat()) grant.addResourceScope(String(resource), String(details.params.scope));
  return { consent: { grantId: await grant.save() } };
}

async function finish(/** @type {any} */ ctx, /** @type {Provider} */ provider, /** @type {object} */ result) {
  const url = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(url);
}

function accountClaims(/** @type {string} */ id) {
  const name = id.replace(/(^|[._-])(\w)/g, (_, sep, c) => (sep ? ' ' : '') + c.toUpperCase());
  return { sub: id, name, preferred_username: id, email: `${id}@example.com`, email_verified: true };
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

/** @param {import('node:http').IncomingMessage} req */
async function readBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error('form too large');
  }
  return body;
}

/** @param {import('node:http').Server} server @param {number} port */
function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, 'localhost', () => resolve(undefined));
  });
}
