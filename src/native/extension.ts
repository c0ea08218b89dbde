import type { StorageAdapter } from '../platform/storage.js';

/**
 * The part of a `chrome.storage` area (`chrome.storage.session`, `chrome.storage.local`; `browser.storage`
 * in Firefox and Safari) the adapter uses, promise-based as in Manifest V3.
 */
export interface ExtensionStorageArea {
  /** A key, a list of keys, or `null` for everything: the items found, absent keys left out. */
  get(keys?: string | string[] | Record<string, unknown> | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
  /** Chrome 130 and later; older browsers list keys through `get(null)`. */
  getKeys?(): Promise<string[]>;
}

/**
 * Storage in a browser extension's own storage area, shared by its service worker, popup and pages,
 * and surviving the service worker being stopped in the middle of a login.
 *
 * - `chrome.storage.session` (the default) holds everything in memory, never on disk, and is cleared
 *   when the browser restarts or the extension reloads; only the extension's own pages and worker can
 *   read it, not its content scripts, unless the extension widens that with `setAccessLevel`.
 * - `chrome.storage.local` survives browser restarts but is written to disk **unencrypted** in the
 *   browser profile, readable by anything that can read the user's files.
 *
 * ```ts
 * new AuthClient({ ...options, storage: extensionStorage() });                      // session
 * new AuthClient({ ...options, storage: extensionStorage(chrome.storage.local) });  // stay signed in
 * ```
 *
 * The default area is looked up on first use, never at import. Failures (a content script denied
 * `session`, a full quota) reject, and the SDK reports them as a `StorageError`.
 */
export function extensionStorage(area?: ExtensionStorageArea): StorageAdapter {
  const store = (): ExtensionStorageArea => area ?? sessionArea();
  return {
    get: async (key) => {
      const value = (await store().get(key))[key];
      return typeof value === 'string' ? value : undefined;
    },
    // A computed key makes an own property even for "__proto__".
    set: (key, value) => store().set({ [key]: value }),
    remove: (key) => store().remove(key),
    keys: async () => {
      const current = store();
      return typeof current.getKeys === 'function' ? current.getKeys() : Object.keys(await current.get(null));
    },
  };
}

type StorageNamespace = { storage?: { session?: ExtensionStorageArea } } | undefined;

function sessionArea(): ExtensionStorageArea {
  const scope = globalThis as { chrome?: StorageNamespace; browser?: StorageNamespace };
  const found = scope.chrome?.storage?.session ?? scope.browser?.storage?.session;
  if (!found) throw new Error('chrome.storage.session is not available here');
  return found;
}
