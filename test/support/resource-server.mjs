// A small real resource server (an API) for the DPoP tests (RFC 9449): it accepts the access tokens
// that the local oidc-provider issued, looked up in the provider's own store, and checks every DPoP
// proof the way RFC 9449 section 4.3 and 7.1 ask (signature by the embedded public key, typ, htm, htu,
// iat, ath, jti replay, the key's thumbprint against the token's binding, and a server nonce).
// The tests read what it saw (`log`), rotate its nonce, and script the next answer.
//
//   GET  /api/me    -> 200 { sub, scheme }
//   POST /api/echo  -> 200 { sub, scheme, body }   (the JSON body sent back, to see a retry replay it)
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';

/** Asymmetric JWS algorithms a proof may use (RFC 9449 section 4.2: no `none`, no MAC). */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'];

/** Members of a private JWK: a proof's `jwk` must carry none of them. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** How far a proof's `iat` may be from the server's clock, in seconds. */
const IAT_WINDOW = 60;

/**
 * @typedef {object} LogEntry What the resource server saw and answered, one per request (preflights too).
 * @property {string} method
 * @property {string} path Path without the query.
 * @property {string | undefined} origin The Origin header.
 * @property {string | undefined} scheme The Authorization scheme as sent (`DPoP`, `dpop`, `Bearer`, ...).
 * @property {string | undefined} token The access token presented.
 * @property {string | undefined} proof The raw DPoP header.
 * @property {Record<string, any> | undefined} proofHeader The proof's protected header, decoded (not verified).
 * @property {Record<string, any> | undefined} proofPayload The proof's payload, decoded (not verified).
 * @property {string | undefined} body The raw request body.
 * @property {number} status The status answered.
 * @property {string | undefined} error The `error` of the WWW-Authenticate challenge, if any.
 * @property {string} reason Why: `ok`, or what was wrong.
 * @property {string | undefined} wwwAuthenticate The WWW-Authenticate header answered.
 * @property {string | undefined} nonce The DPoP-Nonce header answered.
 * @property {boolean} scripted True when a `respondNext` script answered instead of the checks.
 */

/**
 * @typedef {object} Verdict The outcome of the checks, before any script.
 * @property {number} status
 * @property {Record<string, string>} headers
 * @property {unknown} [json]
 * @property {string | undefined} error
 * @property {string} reason
 */

/**
 * @typedef {object} ScriptedResponse What a `respondNext` script answers (CORS headers are added to it).
 * @property {number} status
 * @property {Record<string, string>} [headers]
 * @property {unknown} [json] Sent as application/json.
 * @property {string} [body] Sent as is (when `json` is absent).
 */

/**
 * @typedef {(request: { method: string, path: string, headers: import('node:http').IncomingHttpHeaders, body: string,
 *   verdict: Verdict, entry: LogEntry }) => ScriptedResponse | undefined | Promise<ScriptedResponse | undefined>} Script
 *   Answers one request in place of the checks' verdict (which it is given); `undefined` keeps the verdict.
 */

/**
 * @typedef {object} ResourceServerOptions
 * @property {import('oidc-provider').default} provider The oidc-provider instance whose access tokens are accepted.
 * @property {string} issuer The provider's issuer (kept for the tests; tokens are looked up in `provider`).
 * @property {boolean} [requireNonce] Demand the server's current nonce in every proof (default true).
 * @property {string | string[]} [allowOrigin] The app origin(s) allowed by CORS; none: no CORS headers.
 * @property {boolean} [acceptBearer] Accept tokens that are not DPoP-bound with the Bearer scheme (default false).
 * @property {boolean} [nonceOnSuccess] Also send the current DPoP-Nonce on successful answers (default false).
 * @property {string} [host] Interface to listen on (default 127.0.0.1); `origin` uses it.
 * @property {number} [port] Default 0: a free port.
 */

/**
 * Starts the resource server.
 * @param {ResourceServerOptions} options
 */
export async function startResourceServer({
  provider,
  issuer,
  requireNonce = true,
  allowOrigin,
  acceptBearer = false,
  nonceOnSuccess = false,
  host = '127.0.0.1',
  port = 0,
}) {
  const allowed = new Set(allowOrigin === undefined ? [] : [allowOrigin].flat());
  /** @type {LogEntry[]} */
  const log = [];
  /** Every jti of a proof with a valid signature, so none is accepted twice. */
  const jtis = new Set();
  /** @type {Script[]} */
  const scripts = [];
  let nonce = randomNonce();
  /** Nonces handed out so far, oldest first. */
  const nonces = [nonce];

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error?.stack ?? error));
    });
  });

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function handle(req, res) {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${host}:${actualPort}`}`);
    const origin = header(req, 'origin');
    const body = await readBody(req);
    const authorization = header(req, 'authorization');
    const [scheme, token] = splitAuthorization(authorization);
    const proof = header(req, 'dpop');
    /** @type {LogEntry} */
    const entry = {
      method,
      path: url.pathname,
      origin,
      scheme,
      token,
      proof,
      proofHeader: proof ? tryDecode(() => decodeProtectedHeader(proof)) : undefined,
      proofPayload: proof ? tryDecode(() => decodeJwt(proof)) : undefined,
      body: body || undefined,
      status: 0,
      error: undefined,
      reason: '',
      wwwAuthenticate: undefined,
      nonce: undefined,
      scripted: false,
    };
    log.push(entry);

    /** @type {Record<string, string>} */
    const cors = {};
    if (origin && allowed.has(origin)) {
      cors['access-control-allow-origin'] = origin;
      cors['access-control-expose-headers'] = 'WWW-Authenticate, DPoP-Nonce';
      cors.vary = 'Origin';
    }

    if (method === 'OPTIONS') {
      const ok = Boolean(origin && allowed.has(origin) && req.headers['access-control-request-method']);
      const headers = ok
        ? { ...cors, 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'authorization, dpop, content-type', 'access-control-max-age': '5' }
        : { vary: 'Origin' };
      Object.assign(entry, { status: ok ? 204 : 403, reason: ok ? 'preflight' : `preflight refused for origin ${origin}` });
      res.writeHead(ok ? 204 : 403, headers).end();
      return;
    }

    /** @type {Verdict} */
    const verdict = await check({ method, url, headers: req.headers, scheme, token, proof, body });
    const script = scripts.shift();
    const scripted = script ? await script({ method, path: url.pathname, headers: req.headers, body, verdict, entry }) : undefined;
    /** @type {{ status: number, headers: Record<string, string>, payload: string | undefined, json: boolean }} */
    const answer = scripted
      ? {
          status: scripted.status,
          headers: scripted.headers ?? {},
          payload: scripted.json !== undefined ? JSON.stringify(scripted.json) : scripted.body,
          json: scripted.json !== undefined,
        }
      : { status: verdict.status, headers: verdict.headers, payload: verdict.json !== undefined ? JSON.stringify(verdict.json) : undefined, json: verdict.json !== undefined };
    const headers = { ...cors, 'cache-control': 'no-store', ...lowerKeys(answer.headers) };
    if (answer.json) headers['content-type'] = 'application/json';
    Object.assign(entry, {
      status: answer.status,
      error: scripted ? /error="([^"]*)"/.exec(headers['www-authenticate'] ?? '')?.[1] : verdict.error,
      reason: scripted ? `scripted (checks said: ${verdict.reason})` : verdict.reason,
      wwwAuthenticate: headers['www-authenticate'],
      nonce: headers['dpop-nonce'],
      scripted: Boolean(scripted),
    });
    res.writeHead(answer.status, headers).end(answer.payload);
  }

  /**
   * The checks, in RFC 9449 section 7.1's order: the token, then the proof, then the binding, then the nonce.
   * @param {{ method: string, url: URL, headers: import('node:http').IncomingHttpHeaders, scheme: string | undefined,
   *   token: string | undefined, proof: string | undefined, body: string }} request
   * @returns {Promise<Verdict>}
   */
  async function check({ method, url, headers, scheme, token, proof, body }) {
    const route = routeFor(method, url.pathname);
    if (!route) return { status: 404, headers: {}, json: { error: 'not_found' }, error: undefined, reason: `no route ${method} ${url.pathname}` };

    const lower = scheme?.toLowerCase();
    if (!scheme || !token || (lower !== 'dpop' && lower !== 'bearer')) {
      return challenge(401, undefined, scheme ? `unsupported Authorization scheme ${scheme}` : 'no access token');
    }

    const found = await findToken(token);
    if (!found.token) return challenge(401, 'invalid_token', found.reason);
    const accessToken = found.token;

    if (lower === 'bearer') {
      if (accessToken.jkt) return challenge(401, 'invalid_token', 'a DPoP-bound access token was presented as a Bearer token');
      if (!acceptBearer) return challenge(401, 'invalid_token', 'Bearer tokens are not accepted here');
      return success(accessToken, scheme, route, body);
    }

    if (!accessToken.jkt) return challenge(401, 'invalid_token', 'the access token is not DPoP-bound');
    if (!proof) return challenge(401, 'invalid_dpop_proof', 'no DPoP proof');
    const multiple = headers.dpop;
    if (Array.isArray(multiple) || proof.includes(',')) return challenge(401, 'invalid_dpop_proof', 'more than one DPoP header');

    /** @type {Record<string, any>} */
    let payload;
    /** @type {Record<string, any>} */
    let protectedHeader;
    try {
      const unverified = decodeProtectedHeader(proof);
      if (unverified.typ !== 'dpop+jwt') return challenge(401, 'invalid_dpop_proof', `typ is ${unverified.typ}, not dpop+jwt`);
      if (typeof unverified.alg !== 'string' || !DPOP_ALGS.includes(unverified.alg)) {
        return challenge(401, 'invalid_dpop_proof', `alg ${unverified.alg} is not an asymmetric signature algorithm`);
      }
      if (!unverified.jwk || typeof unverified.jwk !== 'object') return challenge(401, 'invalid_dpop_proof', 'no jwk in the header');
      const privateMember = PRIVATE_MEMBERS.find((name) => name in /** @type {object} */ (unverified.jwk));
      if (privateMember) return challenge(401, 'invalid_dpop_proof', `the jwk has the private member ${privateMember}`);
      ({ payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS }));
    } catch (error) {
      return challenge(401, 'invalid_dpop_proof', `the proof does not verify: ${/** @type {Error} */ (error).message}`);
    }

    if (typeof payload.jti !== 'string' || !payload.jti) return challenge(401, 'invalid_dpop_proof', 'no jti');
    if (jtis.has(payload.jti)) return challenge(401, 'invalid_dpop_proof', `jti ${payload.jti} was used before`);
    jtis.add(payload.jti);

    if (payload.htm !== method) return challenge(401, 'invalid_dpop_proof', `htm ${payload.htm} is not ${method}`);
    const expectedHtu = `${url.origin}${url.pathname}`;
    const htu = typeof payload.htu === 'string' && URL.canParse(payload.htu) ? new URL(payload.htu) : null;
    if (htu) htu.search = htu.hash = '';
    if (!htu || htu.href !== expectedHtu) return challenge(401, 'invalid_dpop_proof', `htu ${payload.htu} is not ${expectedHtu}`);
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > IAT_WINDOW) {
      return challenge(401, 'invalid_dpop_proof', `iat ${payload.iat} is not within ${IAT_WINDOW} s of ${now}`);
    }
    const ath = createHash('sha256').update(token).digest('base64url');
    if (payload.ath === undefined) return challenge(401, 'invalid_dpop_proof', 'no ath');
    if (payload.ath !== ath) return challenge(401, 'invalid_dpop_proof', `ath ${payload.ath} is not the access token's hash ${ath}`);

    const thumbprint = await calculateJwkThumbprint(/** @type {import('jose').JWK} */ (protectedHeader.jwk), 'sha256');
    if (thumbprint !== accessToken.jkt) {
      return challenge(401, 'invalid_dpop_proof', `the proof's key ${thumbprint} is not the key the token is bound to (${accessToken.jkt})`);
    }

    if (requireNonce && payload.nonce !== nonce) {
      const verdict = challenge(401, 'use_dpop_nonce', payload.nonce === undefined ? 'a DPoP nonce is required' : `nonce ${payload.nonce} is not the current one`);
      verdict.headers['dpop-nonce'] = nonce;
      return verdict;
    }

    return success(accessToken, scheme, route, body);
  }

  /**
   * @param {number} status
   * @param {string | undefined} error
   * @param {string} reason
   * @returns {Verdict}
   */
  function challenge(status, error, reason) {
    const params = [
      ...(error ? [`error="${error}"`, `error_description="${reason.replace(/["\\]/g, "'")}"`] : []),
      `algs="${DPOP_ALGS.join(' ')}"`,
    ];
    const wwwAuthenticate = [`DPoP ${params.join(', ')}`, ...(acceptBearer && !error ? ['Bearer'] : [])].join(', ');
    return { status, headers: { 'www-authenticate': wwwAuthenticate }, json: error ? { error, error_description: reason } : undefined, error, reason };
  }

  /**
   * @param {any} accessToken @param {string} scheme @param {'me' | 'echo'} route @param {string} body
   * @returns {Verdict}
   */
  function success(accessToken, scheme, route, body) {
    /** @type {Record<string, unknown>} */
    // The audience of a token issued for a resource indicator (RFC 8707), so tests can see which one came.
    const json = { sub: accessToken.accountId, scheme, ...(accessToken.aud ? { aud: accessToken.aud } : {}) };
    if (route === 'echo') {
      try {
        json.body = body ? JSON.parse(body) : null;
      } catch {
        return { status: 400, headers: {}, json: { error: 'invalid_json' }, error: undefined, reason: 'the body is not JSON' };
      }
    }
    /** @type {Record<string, string>} */
    const headers = requireNonce && nonceOnSuccess ? { 'dpop-nonce': nonce } : {};
    return { status: 200, headers, json, error: undefined, reason: 'ok' };
  }

  /** @param {string} value @returns {Promise<{ token: any, reason: string }>} */
  async function findToken(value) {
    const token = await provider.AccessToken.find(value);
    if (token && !token.isExpired) return { token, reason: 'ok' };
    const expired = await provider.AccessToken.find(value, { ignoreExpiration: true });
    return { token: undefined, reason: expired ? 'the access token has expired' : 'the access token is unknown' };
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  return {
    /** `http://host:port` of the server. */
    origin,
    issuer,
    /** Every request, oldest first. */
    log,
    /** Every jti seen in a proof with a valid signature. */
    jtis,
    /** The nonce proofs must carry now. */
    get nonce() {
      return nonce;
    },
    /** Every nonce handed out so far, oldest first. */
    nonces,
    /** Replaces the nonce: proofs with the previous one are answered `use_dpop_nonce`. Returns the new one. */
    rotateNonce() {
      nonce = randomNonce();
      nonces.push(nonce);
      return nonce;
    },
    /**
     * Scripts the answer to the next request (preflights excepted); several calls queue up, in order.
     * @param {Script} script
     */
    respondNext(script) {
      scripts.push(script);
    },
    /** Scripts not used yet. */
    get pendingScripts() {
      return scripts.length;
    },
    /** @param {string} path */
    url: (path) => new URL(path, origin).href,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined)).closeAllConnections()),
  };
}

/** @typedef {Awaited<ReturnType<typeof startResourceServer>>} ResourceServer */

/** @param {string} method @param {string} path @returns {'me' | 'echo' | undefined} */
function routeFor(method, path) {
  if (path === '/api/me' && method === 'GET') return 'me';
  if (path === '/api/echo' && method === 'POST') return 'echo';
  return undefined;
}

/** @param {string | undefined} value @returns {[string | undefined, string | undefined]} */
function splitAuthorization(value) {
  if (!value) return [undefined, undefined];
  const match = /^([A-Za-z][\w.+-]*)(?: +(\S+))? *$/.exec(value);
  if (!match) return [value, undefined];
  return [match[1], match[2]];
}

/** @param {import('node:http').IncomingMessage} req @param {string} name */
function header(req, name) {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** @param {Record<string, string>} headers */
function lowerKeys(headers) {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** @template T @param {() => T} decode @returns {T | undefined} */
function tryDecode(decode) {
  try {
    return decode();
  } catch {
    return undefined;
  }
}

function randomNonce() {
  return randomBytes(16).toString('base64url');
}

/** @param {import('node:http').IncomingMessage} req */
async function readBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65_536) throw new Error('body too large');
  }
  return body;
}
