/**
 * Names of everything the SDK stores. Namespaced by client and versioned, so two apps on one origin,
 * or two versions of the SDK, never read each other's records.
 */
export interface StorageKeys {
  /** Every key of this client starts with this. */
  readonly prefix: string;
  readonly session: string;
  readonly discovery: string;
  /** The token-free beacon that tabs with their own copy of the session compare against. */
  readonly beacon: string;
  /** The cross-tab refresh lock. */
  readonly refreshLock: string;
  /** Prefix of pending login transactions; the `state` value completes the key. */
  readonly transactionPrefix: string;
}

/** The keys of one client. */
export function storageKeys(clientId: string): StorageKeys {
  const prefix = `oidc-session:v1:${clientId}:`;
  return {
    prefix,
    session: `${prefix}session`,
    discovery: `${prefix}discovery`,
    beacon: `${prefix}beacon`,
    refreshLock: `${prefix}refresh`,
    transactionPrefix: `${prefix}txn:`,
  };
}
