import * as oauth from 'oauth4webapi';
import type { ProviderMetadata } from './discovery.js';
import type { ResolvedOptions } from './options.js';
import type { Transaction } from './transaction.js';

/** A ready authorization request: the URL to navigate to and the record that must survive the trip. */
export interface LoginRequest {
  readonly url: string;
  readonly transaction: Transaction;
}

/**
 * Builds an authorization-code request with PKCE (S256 only, whatever the metadata says), a fresh
 * `state` and `nonce`, and the app's extra parameters (already checked not to touch ours).
 */
export async function createLoginRequest(
  options: ResolvedOptions,
  metadata: ProviderMetadata,
  input: { returnTo: string; params: Readonly<Record<string, string>> },
): Promise<LoginRequest> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);

  // Discovery already checked that this is an https: (or loopback development) URL.
  const url = new URL(metadata.authorization_endpoint as string);
  for (const [key, value] of Object.entries({ ...options.authorizationParams, ...input.params })) {
    url.searchParams.set(key, value);
  }
  url.searchParams.set('client_id', options.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', options.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('code_challenge', codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');

  const maxAge = parseMaxAge(url.searchParams.get('max_age'));
  const transaction: Transaction = {
    v: 1,
    state,
    nonce,
    codeVerifier,
    issuer: metadata.issuer,
    redirectUri: options.redirectUri,
    returnTo: input.returnTo,
    maxAge,
    createdAt: options.now(),
  };
  return { url: url.href, transaction };
}

function parseMaxAge(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
