import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { StorageAdapter } from './storage.js';

const DATABASE = 'oidc-session';
const STORE = 'kv';
// A blocked or broken IndexedDB can leave a request pending forever; every call gets a deadline.
const DEADLINE_MS = 5000;

/**
 * Storage in IndexedDB: the session survives closing every tab and restarting the browser, and every
 * tab of the origin shares it. Pass it as `new AuthClient({ storage: indexedDbStorage(), ... })`.
 *
 * The database opens on first use, never at import or construction. Once it has failed or timed out,
 * later calls fail at once: the page carries on in memory instead of waiting out the deadline on
 * every call.
 */
export function indexedDbStorage(): StorageAdapter {
  let store: UseStore | undefined;
  let broken = false;
  const run = async <T>(operation: (store: UseStore) => Promise<T>): Promise<T> => {
    if (broken) throw new Error('IndexedDB unavailable');
    try {
      return await withDeadline(operation((store ??= createStore(DATABASE, STORE))));
    } catch (error) {
      broken = true;
      throw error;
    }
  };
  return {
    get: (key) => run((s) => get<string>(key, s)),
    set: (key, value) => run((s) => set(key, value, s)),
    remove: (key) => run((s) => del(key, s)),
    keys: () => run((s) => keys<string>(s)),
    // A pending login belongs to the tab that started it.
    pendingLoginsInSessionStorage: true,
  };
}

function withDeadline<T>(operation: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), DEADLINE_MS);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}
