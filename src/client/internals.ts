import type { ProviderMetadata } from '../protocol/discovery.js';
import type { SessionRecord } from '../session/token-set.js';
import type { ResolvedOptions } from './options.js';

/**
 * What the optional imports (`oidc-session/fetch`, `oidc-session/userinfo`) read of a client they
 * are given: its resolved options, its cached provider metadata, and its session as it is now.
 * Kept beside the client rather than on it, so the class's public surface stays what the docs say.
 */
export interface ClientInternals {
  readonly options_: ResolvedOptions;
  readonly discover_: () => Promise<ProviderMetadata>;
  readonly record_: () => SessionRecord | undefined;
}

/**
 * Every live {@link AuthClient}'s internals, by client. On a registry key, not module-local: the CJS
 * build bundles each entry whole, and `require('oidc-session/fetch')` must see the clients that
 * `require('oidc-session')` made.
 */
export const clientInternals: WeakMap<object, ClientInternals> = ((globalThis as Record<symbol, unknown>)[Symbol.for('oidc-session.internals')] ??= new WeakMap()) as WeakMap<object, ClientInternals>;
