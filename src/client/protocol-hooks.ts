import type { SessionRecord } from '../session/token-set.js';
import type { ResolvedOptions } from './options.js';

/**
 * The provider's metadata as discovery validated it (src/protocol/discovery.ts). Opaque here, so
 * that the protocol library's types stay out of the public declarations; the features read it as `ProviderMetadata`.
 * @internal
 */
export type ProviderDocument = Readonly<Record<string, unknown>>;

/**
 * What an optional protocol feature plugs into the client: DPoP (`dpop()` from `oidc-session/dpop`)
 * and pushed authorization requests (`par()` from `oidc-session/par`). Apps get these objects from
 * those factories and pass them on; they never write one. The members end in `_`: they are internal to
 * the package, and each build renames them.
 * @internal
 */
export interface ProtocolHooks {
  /** Rewrites the authorization request URL before the browser is sent there; resolves with the URL to open. */
  readonly authorize_: (url: string, options: ResolvedOptions, metadata: ProviderDocument) => Promise<string>;
}

/**
 * DPoP's hooks (`dpop()` from `oidc-session/dpop`): besides the authorization request (`dpop_jkt`),
 * every request to the provider, the end of a session, and the proofs `oidc-session/fetch` adds to API calls.
 * @internal
 */
export interface DPoPHooks extends ProtocolHooks {
  /** The fetch for every request to the provider, wrapping `options.fetch` (proofs, nonces, token-type checks). */
  readonly fetch_: (options: ResolvedOptions) => typeof globalThis.fetch;
  /** The session `record` ended in this tab (logout, expiry, another tab's news): forget the key bound to it. Never rejects. */
  readonly end_: (record: SessionRecord) => Promise<void>;
  /**
   * The `DPoP` header for a request to a resource server with `accessToken`, or `undefined` when that
   * token is not bound to a key of ours (a Bearer token: the provider declined DPoP and the app allowed it).
   */
  readonly proof_: (accessToken: string, method: string, url: URL) => Promise<string | undefined>;
  /** Remembers the `DPoP-Nonce` a server sent, for the next proof to its origin. */
  readonly nonce_: (response: Response, url: URL) => void;
}
