import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
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
  // idb-keyval's store and request helpers, not its get/set/keys: those carry a default database and
  // a cursor fallback for browsers without getAllKeys, neither of which this adapter uses.
  const read = <T>(use: (store: IDBObjectStore) => IDBRequest<T>) => run((s) => s('readonly', (store) => promisifyRequest(use(store))));
  // A write counts once its transaction has committed, so another tab reading next sees it.
  const write = (use: (store: IDBObjectStore) => unknown) => run((s) => s('readwrite', (store) => (use(store), promisifyRequest(store.transaction))));
  return {
    get: (key) => read<string | undefined>((store) => store.get(key)),
    set: (key, value) => write((store) => store.put(value, key)),
    remove: (key) => write((store) => store.delete(key)),
    keys: () => read((store) => store.getAllKeys() as IDBRequest<string[]>),
    // A pending login belongs to the tab that started it.
    pendingLoginsInSessionStorage: true,
  };
}

function withDeadline<T>(operation: Promise<T>): Promise<T> {
  // The timer is left to run out: once the operation has settled, its rejection changes nothing.
  return Promise.race([operation, new Promise<never>((_, reject) => setTimeout(reject, DEADLINE_MS, new Error('timeout')))]);
}
