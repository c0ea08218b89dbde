import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import type { HostileProvider } from './provider.js';

/**
 * The hostile suite's resource server at rs.test (the DPoP cases): an API that accepts the access tokens
 * op.test issued, checks each DPoP proof the way RFC 9449 §4.3 and §7.1 ask (signature, typ, alg, htm,
 * htu, iat, ath, jti reuse, the key the token is bound to, its nonce), and misbehaves as `scenario` says.
 * Every request but the CORS preflights is logged.
 *
 *   GET  /api/me    -> 200 { sub, scheme }
 *   POST /api/echo  -> 200 { sub, scheme, body }
 */

export interface RsScenario {
  /**
   * Nonces (RFC 9449 §9): `'demand'`, a proof must carry `r1` (else 401 use_dpop_nonce with
   * `DPoP-Nonce: r1`); `'rotate'`, every request is answered so, with a new nonce each time.
   */
  nonce?: 'demand' | 'rotate';
  /** The scheme as written in the challenges (default `DPoP`): `dpop` for the scheme-case attack. */
  challengeScheme?: string;
  /** Answers 401 `error="invalid_token"` for the tokens it says (revoked here, say), after the proof's checks. */
  invalidToken?: (token: string) => boolean;
}

export interface RsEntry {
  method: string;
  /** The URL the request came to, query and fragment included (a fragment never comes). */
  url: string;
  /** When it came (epoch ms). */
  at: number;
  /** The Authorization scheme as sent (`DPoP`, `Bearer`). */
  scheme?: string;
  token?: string;
  proof?: string;
  proofHeader?: Record<string, unknown>;
  proofPayload?: Record<string, unknown>;
  status: number;
  /** The `error` of the challenge answered, if any. */
  error?: string;
  /** Why: `ok`, or what was wrong. */
  reason: string;
  /** The nonce answered in `DPoP-Nonce`. */
  nonce?: string;
}

const tryDecode = <T>(decode: () => T): T | undefined => {
  try {
    return decode();
  } catch {
    return undefined;
  }
};

export class HostileResourceServer {
  scenario: RsScenario = {};
  log: RsEntry[] = [];
  readonly #jtis = new Set<string>();
  #nonces = 0;

  constructor(
    readonly origin: string,
    readonly appOrigin: string,
    readonly op: HostileProvider,
  ) {}

  reset(): void {
    this.scenario = {};
    this.log = [];
    this.#jtis.clear();
    this.#nonces = 0;
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const cors = { 'access-control-allow-origin': this.appOrigin, 'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce', vary: 'Origin' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, dpop, content-type', connection: 'close' }).end();
      return;
    }
    const authorization = req.headers.authorization ?? '';
    const [, scheme, token] = /^(\S+) +(\S+)$/.exec(authorization) ?? [];
    const proof = typeof req.headers.dpop === 'string' ? req.headers.dpop : undefined;
    const entry: RsEntry = {
      method: req.method ?? 'GET',
      url: url.href,
      at: Date.now(),
      ...(scheme ? { scheme } : {}),
      ...(token ? { token } : {}),
      ...(proof ? { proof, proofHeader: tryDecode(() => decodeProtectedHeader(proof)) as Record<string, unknown>, proofPayload: tryDecode(() => decodeJwt(proof)) } : {}),
      status: 0,
      reason: '',
    };
    this.log.push(entry);
    const verdict = await this.#check(entry, url, body);
    Object.assign(entry, { status: verdict.status, reason: verdict.reason, ...(verdict.error ? { error: verdict.error } : {}), ...(verdict.nonce ? { nonce: verdict.nonce } : {}) });
    const headers: Record<string, string> = { ...cors, 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' };
    if (verdict.error) headers['www-authenticate'] = `${this.scenario.challengeScheme ?? 'DPoP'} error="${verdict.error}", algs="ES256"`;
    if (verdict.nonce) headers['dpop-nonce'] = verdict.nonce;
    res.writeHead(verdict.status, headers).end(JSON.stringify(verdict.json ?? { error: verdict.error, error_description: verdict.reason }));
  }

  async #check(entry: RsEntry, url: URL, body: string): Promise<{ status: number; reason: string; error?: string; nonce?: string; json?: unknown }> {
    const route = url.pathname === '/api/me' && entry.method === 'GET' ? 'me' : url.pathname === '/api/echo' && entry.method === 'POST' ? 'echo' : undefined;
    if (!route) return { status: 404, reason: 'no route', json: { error: 'not_found' } };
    const challenge = (error: string, reason: string, nonce?: string) => ({ status: 401, error, reason, ...(nonce ? { nonce } : {}) });
    const { scheme, token, proof } = entry;
    const lower = scheme?.toLowerCase();
    if (!token || (lower !== 'dpop' && lower !== 'bearer')) return challenge('invalid_request', `no access token (scheme ${scheme})`);
    const issued = this.op.accessTokens.get(token);
    if (!issued) return challenge('invalid_token', 'an unknown access token');
    const ok = () => ({ status: 200, reason: 'ok', json: { sub: issued.sub, scheme, ...(route === 'echo' ? { body: tryDecode(() => JSON.parse(body)) ?? null } : {}) } });

    if (lower === 'bearer') {
      // RFC 9449 §7.1: a bound token is no Bearer token.
      if (issued.jkt) return challenge('invalid_token', 'a DPoP-bound access token under the Bearer scheme');
      return proof ? challenge('invalid_request', 'a DPoP proof with a Bearer token') : this.scenario.invalidToken?.(token) ? challenge('invalid_token', 'refused (scenario)') : ok();
    }
    if (!issued.jkt) return challenge('invalid_token', 'a Bearer token under the DPoP scheme');
    if (!proof) return challenge('invalid_dpop_proof', 'no DPoP proof');
    let payload: Record<string, unknown>;
    let jwk: JWK;
    try {
      const header = decodeProtectedHeader(proof);
      if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256') return challenge('invalid_dpop_proof', `typ ${header.typ}, alg ${header.alg}`);
      jwk = header.jwk as JWK;
      if (!jwk || typeof jwk !== 'object' || 'd' in jwk) return challenge('invalid_dpop_proof', 'no public jwk');
      ({ payload } = await jwtVerify(proof, await importJWK(jwk, 'ES256'), { typ: 'dpop+jwt', algorithms: ['ES256'] }));
    } catch (error) {
      return challenge('invalid_dpop_proof', `does not verify: ${(error as Error).message}`);
    }
    if (typeof payload.jti !== 'string' || !payload.jti) return challenge('invalid_dpop_proof', 'no jti');
    if (this.#jtis.has(payload.jti)) return challenge('invalid_dpop_proof', `jti ${payload.jti} reused`);
    this.#jtis.add(payload.jti);
    if (payload.htm !== entry.method) return challenge('invalid_dpop_proof', `htm ${payload.htm}`);
    if (payload.htu !== url.origin + url.pathname) return challenge('invalid_dpop_proof', `htu ${payload.htu}`);
    if (typeof payload.iat !== 'number' || Math.abs(entry.at / 1000 - payload.iat) > 60) return challenge('invalid_dpop_proof', `iat ${payload.iat} more than 60 s off`);
    if (payload.ath !== createHash('sha256').update(token).digest('base64url')) return challenge('invalid_dpop_proof', `ath ${payload.ath}`);
    if ((await calculateJwkThumbprint(jwk, 'sha256')) !== issued.jkt) return challenge('invalid_dpop_proof', 'not the key the token is bound to');
    if (this.scenario.nonce === 'rotate') return challenge('use_dpop_nonce', 'a new nonce', `r${++this.#nonces}`);
    if (this.scenario.nonce === 'demand' && payload.nonce !== 'r1') return challenge('use_dpop_nonce', `nonce ${payload.nonce}`, 'r1');
    if (this.scenario.invalidToken?.(token)) return challenge('invalid_token', 'refused (scenario)');
    return ok();
  }
}
