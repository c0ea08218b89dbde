/**
 * Everything the SDK stores lives under one prefix per client, `oidc-session:v1:<clientId>:`.
 * Namespaced and versioned, so two apps on one origin, or two versions of the SDK, never read each
 * other's records. The names under it:
 *
 * - `session`: the session record; `discovery`: the provider's metadata and when it was fetched;
 * - `beacon`: the token-free beacon that tabs with their own copy of the session compare against;
 * - `refresh`: the cross-tab refresh lock;
 * - `logout`: the `state` of this tab's logout, taken by `handleRedirect()` on the page it returns to;
 * - `txn:<state>`: a pending login.
 */
export type KeyPrefix = `oidc-session:v1:${string}:`;

/** The prefix of one client's keys (a prefix, not an object of names: it is smaller in the bundle). */
export function keyPrefix(clientId: string): KeyPrefix {
  return `oidc-session:v1:${clientId}:`;
}
