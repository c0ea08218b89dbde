/**
 * A key-value store for strings. Methods may be synchronous or return promises, so an app can plug in
 * anything from `sessionStorage` to IndexedDB, Capacitor Preferences or an extension's storage.
 */
export interface StorageAdapter {
  /** The stored value, or `undefined`/`null` when the key is absent. */
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  remove(key: string): void | Promise<void>;
  /** Every key currently stored (the SDK filters by its own prefix). */
  keys(): readonly string[] | Promise<readonly string[]>;
  /**
   * `true` when each tab keeps its own copy, as `sessionStorage` and memory do: tabs then hand the
   * session to each other, and a tab checks which copy is newest before it spends a refresh token.
   * Default `false`: one store that every tab of the origin reads and writes.
   */
  readonly perTab?: boolean;
  /**
   * `true` to keep pending logins (PKCE verifier, `state`, `nonce`) in `sessionStorage`, bound to the
   * tab that started them, rather than in this adapter. The built-in adapters set it. Default `false`.
   */
  readonly pendingLoginsInSessionStorage?: boolean;
}

/**
 * The adapter over `window.sessionStorage` (per tab) or `localStorage` (shared), resolved at call time
 * so import and SSR never touch it.
 */
export function webStorageAdapter(area: 'sessionStorage' | 'localStorage' = 'sessionStorage'): StorageAdapter {
  // Reading the property itself throws in sandboxed iframes and with storage blocked.
  const store = (): Storage => globalThis[area];
  return {
    get: (key) => store().getItem(key),
    set: (key, value) => store().setItem(key, value),
    remove: (key) => store().removeItem(key),
    keys: () => Object.keys(store()),
    perTab: area === 'sessionStorage',
  };
}

/**
 * Storage that keeps the session in this page's memory only: nothing is written to disk, and a reload
 * with no other tab open to hand the session over means signing in again. Pass it as
 * `new AuthClient({ storage: memoryStorage(), ... })`.
 */
export function memoryStorage(): StorageAdapter {
  const map = new Map<string, string>();
  return {
    get: (key) => map.get(key),
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
    keys: () => [...map.keys()],
    perTab: true,
    // Memory does not survive the redirect to the provider and back.
    pendingLoginsInSessionStorage: true,
  };
}
