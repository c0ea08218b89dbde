import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { createHash } from 'node:crypto';
import type { FakeProvider } from './fake-provider.js';

/** A proof the fake checked, as it arrived. */
export interface SeenProof {
  url: string;
  jkt: string;
  payload: Record<string, unknown>;
}

/**
 * Makes the unit tests' fake provider a DPoP provider (RFC 9449): its metadata offers ES256, every
 * token request must carry a valid proof (signature by the embedded key, `htm`, `htu`, fresh `jti`,
 * and the nonce once one is demanded), the code must be redeemed with the key named by `dpop_jkt`,
 * refresh tokens with the key they were issued to, and tokens come back as `token_type: DPoP`.
 */
export function withDPoP(provider: FakeProvider, options: { nonce?: string; tokenType?: string } = {}) {
  const proofs: SeenProof[] = [];
  const jtis = new Set<string>();
  const codeKeys = new Map<string, string>();
  const refreshKeys = new Map<string, string>();
  const state = { nonce: options.nonce, tokenType: options.tokenType ?? 'DPoP' };
  const { json } = provider;

  provider.hooks.discovery = (normal) => {
    const response = normal();
    return response.json().then((metadata) => json({ ...metadata, dpop_signing_alg_values_supported: ['ES256', 'RS256'] }));
  };
  const fetch = provider.fetch;
  const dpopFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.pathname !== '/token' || init?.method !== 'POST') return fetch(input, init);
    const body = init.body as URLSearchParams;
    const proof = new Headers(init.headers).get('dpop');
    if (!proof) return json({ error: 'invalid_dpop_proof', error_description: 'no proof' }, 400);
    let jkt: string;
    let payload: Record<string, unknown>;
    try {
      const header = decodeProtectedHeader(proof);
      if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || !header.jwk || 'd' in header.jwk) throw new Error('header');
      const verified = await jwtVerify(proof, await importJWK(header.jwk as JWK, 'ES256'), { typ: 'dpop+jwt' });
      payload = verified.payload as Record<string, unknown>;
      jkt = await calculateJwkThumbprint(header.jwk as JWK);
    } catch {
      return json({ error: 'invalid_dpop_proof' }, 400);
    }
    proofs.push({ url: url.href, jkt, payload });
    if (payload.htm !== 'POST' || payload.htu !== url.origin + url.pathname || typeof payload.jti !== 'string' || jtis.has(payload.jti)) {
      return json({ error: 'invalid_dpop_proof' }, 400);
    }
    jtis.add(payload.jti);
    if (state.nonce !== undefined && payload.nonce !== state.nonce) {
      return new Response(JSON.stringify({ error: 'use_dpop_nonce' }), { status: 400, headers: { 'content-type': 'application/json', 'dpop-nonce': state.nonce } });
    }
    const grant = body.get('grant_type');
    const bound = grant === 'authorization_code' ? codeKeys.get(body.get('code') ?? '') : refreshKeys.get(body.get('refresh_token') ?? '');
    if (bound !== undefined && bound !== jkt) return json({ error: 'invalid_grant', error_description: 'wrong key' }, 400);
    const response = await fetch(input, init);
    if (!response.ok) return response;
    const tokens = await response.json();
    if (tokens.refresh_token) refreshKeys.set(tokens.refresh_token, jkt);
    return json({ ...tokens, token_type: state.tokenType });
  };

  /** Plays the authorization endpoint, remembering the key the code is bound to. */
  const authorize = (authorizationUrl: string, sub = 'alice') => {
    const jkt = new URL(authorizationUrl).searchParams.get('dpop_jkt');
    const callback = provider.authorize(authorizationUrl, sub);
    if (jkt) codeKeys.set(new URL(callback).searchParams.get('code') as string, jkt);
    return callback;
  };

  return { fetch: dpopFetch, authorize, proofs, state, refreshKeys };
}

/** base64url(SHA-256(value)), as `ath` is computed. */
export const hashOf = (value: string) => createHash('sha256').update(value).digest('base64url');
