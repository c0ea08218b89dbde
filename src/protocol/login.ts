import * as oauth from 'oauth4webapi';
import type { ProviderMetadata } from './discovery.js';
import type { ResolvedOptions } from '../client/options.js';
import type { Transaction } from '../session/transaction.js';

/**
 * 256 random bits, base64url (oauth4webapi's generator): PKCE verifiers, `state` and `nonce`, and
 * the ids of tabs and logins, which only need to be unique.
 */
export const randomValue = oauth.generateRandomCodeVerifier;

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
  input: { returnTo: string; params: Readonly<Record<string, string>>; redirectUri?: string | undefined },
): Promise<LoginRequest> {
  const codeVerifier = randomValue();
  const state = randomValue();
  const nonce = randomValue();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const redirectUri = input.redirectUri ?? options.redirectUri;

  // Discovery already checked that this is an https: (or loopback development) URL.
  const url = new URL(metadata.authorization_endpoint as string);
  // The app's extra parameters first, so that ours (reserved, checked in options) always win.
  const params = {
    ...options.authorizationParams,
    ...input.params,
    client_id: options.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: options.scope,
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);

  const maxAge = parseMaxAge(url.searchParams.get('max_age'));
  const transaction: Transaction = {
    v: 1,
    state,
    nonce,
    codeVerifier,
    issuer: metadata.issuer,
    redirectUri,
    returnTo: input.returnTo,
    maxAge,
    createdAt: options.now(),
  };
  // DPoP binds the code to its key (`dpop_jkt`), then PAR pushes every parameter (RFC 9126).
  let href = url.href;
  for (const hooks of [options.dpop, options.par]) if (hooks) href = await hooks.authorize_(href, options, metadata);
  return { url: href, transaction };
}

function parseMaxAge(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}
