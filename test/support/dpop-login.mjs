// Gets real DPoP-bound tokens from the local provider (demo/provider.mjs) without a browser: an
// authorization-code login with PKCE driven by plain fetch through the provider's interaction pages
// (the login form is posted like a user would), then the code exchanged with oauth4webapi and a DPoP
// proof. For the DPoP tests of the resource server and of the provider itself.
import * as oauth from 'oauth4webapi';
import { CookieJar } from './fetch-login.mjs';

const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * @typedef {object} AuthorizeOptions
 * @property {string} issuer
 * @property {string} redirectUri A redirect URI registered for the client; it is never fetched.
 * @property {string} [clientId] Default `demo-spa`.
 * @property {string} [user] Who signs in (default `alice`).
 * @property {string} [scope] Default `openid profile`.
 * @property {oauth.DPoPHandle} [dpop] Binds the code to this key: with `par` the PAR request carries a
 *   proof, without it the authorization request carries `dpop_jkt`.
 * @property {boolean} [par] Push the authorization request first (RFC 9126).
 * @property {string} [dpopJkt] A `dpop_jkt` parameter to send as is (overrides the one `dpop` gives).
 * @property {CookieJar} [jar] The provider's cookies (a second login in the same jar reuses the session).
 */

/**
 * Runs the authorization request up to the redirect back with a code.
 * @param {AuthorizeOptions} options
 */
export async function authorize(options) {
  const clientId = options.clientId ?? 'demo-spa';
  const as = await discover(options.issuer);
  /** @type {oauth.Client} */
  const client = { client_id: clientId };
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  /** @type {Record<string, string>} */
  const params = {
    client_id: clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: options.scope ?? 'openid profile',
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  };
  if (options.dpopJkt) params.dpop_jkt = options.dpopJkt;
  else if (options.dpop && !options.par) params.dpop_jkt = await options.dpop.calculateThumbprint();

  const authorizationEndpoint = new URL(/** @type {string} */ (as.authorization_endpoint));
  if (options.par) {
    const pushed = await withNonceRetry(async () =>
      oauth.processPushedAuthorizationResponse(
        as,
        client,
        await oauth.pushedAuthorizationRequest(as, client, oauth.None(), params, { ...insecure, ...(options.dpop ? { DPoP: options.dpop } : {}) }),
      ),
    );
    authorizationEndpoint.search = new URLSearchParams({ client_id: clientId, request_uri: pushed.request_uri }).toString();
  } else {
    authorizationEndpoint.search = new URLSearchParams(params).toString();
  }

  const callback = await followLogin(authorizationEndpoint.href, options.redirectUri, options.user ?? 'alice', options.jar ?? new CookieJar());
  const callbackParameters = oauth.validateAuthResponse(as, client, new URL(callback), state);
  return { as, client, codeVerifier, callbackParameters, redirectUri: options.redirectUri };
}

/**
 * Signs in and exchanges the code for tokens with a DPoP proof of `keyPair` (a new ES256 key by default),
 * retrying once when the provider asks for its nonce.
 * @param {Omit<AuthorizeOptions, 'dpop'> & { keyPair?: CryptoKeyPair, bindCode?: boolean }} options
 *   `bindCode`: bind the authorization code to the key too (`dpop_jkt`, or a proof at PAR).
 */
export async function dpopLogin(options) {
  const keyPair = options.keyPair ?? (await oauth.generateKeyPair('ES256'));
  const clientId = options.clientId ?? 'demo-spa';
  const dpop = oauth.DPoP({ client_id: clientId }, keyPair);
  const { bindCode, keyPair: _keyPair, ...rest } = options;
  const code = await authorize({ ...rest, ...(bindCode ? { dpop } : {}) });
  const tokens = await withNonceRetry(async () =>
    oauth.processAuthorizationCodeResponse(code.as, code.client, await exchangeCode(code, { DPoP: dpop })),
  );
  return { ...code, keyPair, dpop, tokens };
}

/**
 * The token request for the code, answered as is (no checks): for tests of the provider's own answers.
 * @param {Awaited<ReturnType<typeof authorize>>} code
 * @param {{ DPoP?: oauth.DPoPHandle }} [options]
 */
export function exchangeCode(code, options = {}) {
  return oauth.authorizationCodeGrantRequest(code.as, code.client, oauth.None(), code.callbackParameters, code.redirectUri, code.codeVerifier, {
    ...insecure,
    ...options,
  });
}

/**
 * The refresh-token request, answered as is.
 * @param {{ as: oauth.AuthorizationServer, client: oauth.Client }} session
 * @param {string} refreshToken
 * @param {{ DPoP?: oauth.DPoPHandle }} [options]
 */
export function refreshRequest(session, refreshToken, options = {}) {
  return oauth.refreshTokenGrantRequest(session.as, session.client, oauth.None(), refreshToken, { ...insecure, ...options });
}

/** @param {string} issuer */
export async function discover(issuer) {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, insecure));
}

/**
 * Runs `attempt`, and once more when it failed for want of a DPoP nonce (the handle then knows it).
 * @template T @param {() => Promise<T>} attempt @returns {Promise<T>}
 */
export async function withNonceRetry(attempt) {
  try {
    return await attempt();
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error;
    return attempt();
  }
}

/**
 * Follows the authorization request through the provider's pages until it redirects to `redirectUri`;
 * the login form is submitted with `user`. Returns the callback URL.
 * @param {string} url @param {string} redirectUri @param {string} user @param {CookieJar} jar
 */
async function followLogin(url, redirectUri, user, jar) {
  const hops = [];
  /** @type {RequestInit} */
  let init = {};
  for (let i = 0; i < 20; i++) {
    hops.push(`${init.method ?? 'GET'} ${url}`);
    const response = await fetch(url, { redirect: 'manual', ...init, headers: { cookie: jar.header(), ...init.headers } });
    jar.take(response);
    const body = await response.text();
    const location = response.headers.get('location');
    init = {};
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url).href;
      if (next.startsWith(redirectUri)) return next;
      url = next;
      continue;
    }
    // The login page of demo/provider.mjs: post the form like a user.
    if (response.status === 200 && /^\/interaction\/[\w-]+$/.test(new URL(url).pathname) && /name="login"/.test(body)) {
      url = `${url}/login`;
      init = { method: 'POST', body: new URLSearchParams({ login: user }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    throw new Error(`the login stopped at ${response.status} ${url}: ${body.slice(0, 500)}\n${hops.join('\n')}`);
  }
  throw new Error(`the login did not finish:\n${hops.join('\n')}`);
}
