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

/** Every live {@link AuthClient}'s internals, by client. */
export const clientInternals = new WeakMap<object, ClientInternals>();
