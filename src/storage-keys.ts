/**
 * Names of everything the SDK stores, all under one prefix per client. Namespaced and versioned, so two apps on one origin,
 * or two versions of the SDK, never read each other's records.
 */
export interface StorageKeys {
  readonly session: string;
  readonly discovery: string;
  /** The token-free beacon that tabs with their own copy of the session compare against. */
  readonly beacon: string;
  /** The cross-tab refresh lock. */
  readonly refreshLock: string;
  /** Set by `logout()` in this tab, taken by the `handleRedirect()` on the page it returns to. */
  readonly logout: string;
  /** Prefix of pending login transactions; the `state` value completes the key. */
  readonly transactionPrefix: string;
}

/** The keys of one client. */
export function storageKeys(clientId: string): StorageKeys {
  const prefix = `oidc-session:v1:${clientId}:`;
  return {
    session: `${prefix}session`,
    discovery: `${prefix}discovery`,
    beacon: `${prefix}beacon`,
    refreshLock: `${prefix}refresh`,
    logout: `${prefix}logout`,
    transactionPrefix: `${prefix}txn:`,
  };
}
