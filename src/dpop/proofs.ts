import * as oauth from 'oauth4webapi';

/**
 * oauth4webapi's DPoP handle, with the two methods its own request functions call on it: the SDK
 * sends its requests itself (its fetch seam, deadline and `redirect: 'manual'`), so it calls them too.
 * test/unit/dpop-proofs.test.ts fails if an oauth4webapi release drops them.
 */
interface ProofHandle extends oauth.DPoPHandle {
  addProof(url: URL, headers: Headers, htm: string, accessToken?: string): Promise<void>;
  cacheNonce(response: Pick<Response, 'headers'>, url: URL): void;
}

/** Signs proofs; see {@link proofSigner}. */
export interface ProofSigner {
  /** A fresh `DPoP` header value for one request: new `jti` and `iat`, `htu` without query or fragment, `ath` for a token. */
  proof_(pair: CryptoKeyPair, method: string, url: URL, accessToken?: string): Promise<string>;
  /** The JWK SHA-256 thumbprint of the public key (RFC 7638), the authorization request's `dpop_jkt`. */
  thumbprint_(pair: CryptoKeyPair): Promise<string>;
  /** Keeps the `DPoP-Nonce` a server sent (any status: servers rotate nonces on successes too); returns it when valid. */
  nonce_(response: Response, url: URL): string | undefined;
}

/**
 * Signs proofs (RFC 9449 §4) with oauth4webapi's handle, one handle per key pair, and remembers the
 * last nonce each server origin sent (§8, §9) for every key's next proof there. The handles' clock is
 * `now` (the client's seam), so proofs' `iat` follow the app's clock.
 */
export function proofSigner(now: () => number): ProofSigner {
  const handles = new WeakMap<CryptoKeyPair, ProofHandle>();
  const nonces = new Map<string, string>();
  const handleOf = (pair: CryptoKeyPair): ProofHandle => {
    let handle = handles.get(pair);
    if (!handle) handles.set(pair, (handle = oauth.DPoP({ [oauth.clockSkew]: Math.round((now() - Date.now()) / 1000) }, pair) as ProofHandle));
    return handle;
  };
  return {
    proof_: async (pair, method, url, accessToken) => {
      const handle = handleOf(pair);
      const nonce = nonces.get(url.origin);
      if (nonce !== undefined) handle.cacheNonce({ headers: new Headers({ 'dpop-nonce': nonce }) }, url);
      const headers = new Headers();
      await handle.addProof(url, headers, method.toUpperCase(), accessToken);
      return headers.get('dpop') as string;
    },
    thumbprint_: (pair) => handleOf(pair).calculateThumbprint(),
    nonce_: (response, url) => {
      // A nonce is a short opaque token (RFC 9449 §8.1: NQCHAR); anything else is not one.
      const nonce = response.headers.get('dpop-nonce');
      if (nonce === null || nonce.length > 1024 || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce)) return undefined;
      nonces.set(url.origin, nonce);
      return nonce;
    },
  };
}

/** A new ES256 key pair: the private key non-extractable (RFC 9449 §11.4), the public key exportable for the proof's `jwk`. */
export function newKeyPair(): Promise<CryptoKeyPair> {
  return oauth.generateKeyPair('ES256', { extractable: false });
}

/**
 * base64url(SHA-256(value)): how tokens and verifiers are named in the key store, never stored
 * themselves. oauth4webapi's PKCE challenge is exactly that function, already in every bundle.
 */
export const sha256: (value: string) => Promise<string> = oauth.calculatePKCECodeChallenge;
