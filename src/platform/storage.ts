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
}

/**
 * The adapter over `window.sessionStorage` (or `localStorage`), resolved at call time so import and
 * SSR never touch it.
 */
export function webStorageAdapter(area: 'sessionStorage' | 'localStorage' = 'sessionStorage'): StorageAdapter {
  // Reading the property itself throws in sandboxed iframes and with storage blocked.
  const store = (): Storage => globalThis[area];
  return {
    get: (key) => store().getItem(key),
    set: (key, value) => store().setItem(key, value),
    remove: (key) => store().removeItem(key),
    keys: () => Object.keys(store()),
  };
}

/** An adapter that keeps values in this page's memory only: gone on reload. */
export function memoryStorageAdapter(): StorageAdapter {
  const map = new Map<string, string>();
  return {
    get: (key) => map.get(key),
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
    keys: () => [...map.keys()],
  };
}
