import { LoginRequiredError, ProtocolError } from '../errors/errors.js';
import { MAX_TOKEN_LENGTH } from '../session/token-set.js';
import type { KeyEntry, KeyStore } from './key-store.js';
import { sha256, type ProofSigner } from './proofs.js';

/** What the token-request wrapper needs of the binding. */
export interface TokenRequestContext {
  readonly pending_: KeyStore;
  readonly tokens_: KeyStore;
  readonly signer_: ProofSigner;
  readonly allowBearer_: boolean;
  readonly now_: () => number;
  /** The entry of a session that just ended here, by name: the revocation logout sends after clearing still carries its proof. */
  readonly ended_: (name: string) => KeyEntry | undefined;
}

type Fetch = typeof globalThis.fetch;

/**
 * The fetch the SDK's requests to the provider go through when DPoP is on. Every POST that spends
 * something bound to a key — the code exchange (the login's key, found by its code challenge), a
 * refresh (the session's key, found by the refresh token), a pushed authorization request, a
 * revocation — carries a fresh proof; a `use_dpop_nonce` answer is retried exactly once with the
 * server's nonce (RFC 9449 §8). A token response must say `token_type: DPoP` (unless the app allowed
 * Bearer); its tokens are then bound to the key in the store, and the spent ones forgotten.
 * Anything else (discovery) passes through untouched.
 */
export function tokenRequestFetch(context: TokenRequestContext, next: Fetch): Fetch {
  return async (input, init) => {
    const form = init?.body;
    if (init?.method !== 'POST' || !(form instanceof URLSearchParams)) return next(input, init);
    const url = new URL(String(input));
    const grant = form.get('grant_type');
    const found = await keyFor(context, form, grant);
    if (!found) return next(input, init);
    const [name, entry] = found;
    let response: Response | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers = new Headers(init.headers);
      // A new proof for every request, the retry included: new jti, iat and the latest nonce.
      headers.set('dpop', await context.signer_.proof_(entry.pair, 'POST', url));
      response = await next(input, { ...init, headers });
      const nonce = context.signer_.nonce_(response, url);
      if (attempt || !nonce || !(await asksForNonce(response))) break;
    }
    response = response as Response;
    // The key that signed is not the one the tokens are bound to (RFC 9449 §5): the session cannot be renewed.
    if (grant === 'refresh_token' && response.status === 400 && (await readJson(response))?.error === 'invalid_dpop_proof') {
      throw new LoginRequiredError('the provider refused the DPoP key of this session');
    }
    if (response.ok && (grant === 'authorization_code' || grant === 'refresh_token')) {
      await bindTokens(context, response, name, entry, grant === 'authorization_code' ? 'code exchange' : 'token refresh');
    }
    return response;
  };
}

/** The key entry this request is bound to, by name; `undefined` for a request that carries no proof. */
async function keyFor(context: TokenRequestContext, form: URLSearchParams, grant: string | null): Promise<[string, KeyEntry] | undefined> {
  let name: string;
  let store = context.tokens_;
  if (grant === 'authorization_code' || form.has('code_challenge')) {
    // The code exchange names its login by the verifier's challenge, the push by the challenge itself.
    const verifier = form.get('code_verifier');
    name = 'pending:' + (verifier === null ? form.get('code_challenge') : await sha256(verifier));
    store = context.pending_;
  } else if (grant === 'refresh_token' || form.has('token')) {
    name = 'token:' + (await sha256(form.get('refresh_token') ?? (form.get('token') as string)));
  } else {
    return undefined;
  }
  const entry = (await store.get_(name)) ?? (form.has('token') ? context.ended_(name) : undefined);
  if (entry) return [name, entry];
  // Without its key, a bound code or refresh token is worth nothing: say so instead of sending it.
  if (grant === 'refresh_token') throw new LoginRequiredError('the DPoP key of this session is gone');
  if (grant === 'authorization_code') throw new ProtocolError('transaction_not_found', 'code exchange: the DPoP key of this login is gone');
  return undefined;
}

/** True when a response is the server's demand for a nonce (RFC 9449 §8: 400 `use_dpop_nonce`, or a 401 challenge). */
async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status === 401) return /use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '');
  if (response.status !== 400) return false;
  const body = await readJson(response);
  return body?.error === 'use_dpop_nonce';
}

/**
 * Checks the token type and binds the new tokens to the request's key: `token:<hash>` entries for the
 * access and refresh tokens, the login's pending entry or the spent refresh token's entries removed.
 */
async function bindTokens(context: TokenRequestContext, response: Response, name: string, entry: KeyEntry, purpose: string): Promise<void> {
  const body = await readJson(response);
  const bearer = String(body?.token_type).toLowerCase() !== 'dpop';
  // RFC 9449 §5: a DPoP request answered with a Bearer token is a downgrade, refused unless allowed;
  // nothing of it is stored.
  if (bearer && !context.allowBearer_) throw new ProtocolError('invalid_token_response', purpose + ': a Bearer token where DPoP was required');
  const tokens = [body?.access_token, body?.refresh_token].filter((t): t is string => typeof t === 'string' && t.length <= MAX_TOKEN_LENGTH);
  const names = await Promise.all(tokens.map(async (token) => 'token:' + (await sha256(token))));
  const bound: KeyEntry = { pair: entry.pair, at: context.now_(), peers: names, ...(bearer ? { bearer: true } : {}) };
  await context.tokens_.set_(names.map((n) => [n, bound]));
  // What this request spent (the login's pending key, the old tokens' names), unless issued again.
  const spent = [name, ...(entry.peers ?? [])].filter((n) => !names.includes(n));
  const pending = spent.filter((n) => n.startsWith('pending:'));
  const old = spent.filter((n) => !n.startsWith('pending:'));
  await Promise.all([pending.length && context.pending_.delete_(pending), old.length && context.tokens_.delete_(old)]).catch(() => undefined);
}

/** The JSON body of a response, read from a copy (the SDK reads the original); `undefined` when it is not JSON or too large. */
async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  if (Number(response.headers.get('content-length')) > 1 << 20) return undefined;
  try {
    const value: unknown = await response.clone().json();
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
