import { promisifyRequest } from 'idb-keyval';
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
  let database: Promise<IDBDatabase> | undefined;
  let broken = false;
  // One request in its own transaction: resolves to what a read found, or to nothing once a write's
  // transaction has committed, so another tab reading next sees it. (Only idb-keyval's request
  // helper: its store helper would wrap the one database this adapter opens, and its get/set/keys
  // carry a default database and a cursor fallback for browsers without getAllKeys.)
  const run = async <T>(mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest): Promise<T> => {
    if (broken) throw new Error('IndexedDB unavailable');
    try {
      if (!database) {
        const request = indexedDB.open(DATABASE);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE);
        database = promisifyRequest(request);
        // A connection the browser closed (Safari does) is opened again on the next call.
        database.then((db) => void (db.onclose = () => (database = undefined)), () => undefined);
      }
      // The timer is left to run out: once the operation has settled, its rejection changes nothing.
      return await Promise.race([
        database.then((db) => {
          const store = db.transaction(STORE, mode).objectStore(STORE);
          const request = use(store);
          return promisifyRequest(mode === 'readonly' ? request : store.transaction);
        }),
        new Promise<never>((_, reject) => setTimeout(reject, DEADLINE_MS, new Error('timeout'))),
      ]);
    } catch (error) {
      broken = true;
      throw error;
    }
  };
  return {
    get: (key) => run('readonly', (store) => store.get(key)),
    set: (key, value) => run('readwrite', (store) => store.put(value, key)),
    remove: (key) => run('readwrite', (store) => store.delete(key)),
    keys: () => run('readonly', (store) => store.getAllKeys()),
    // A pending login belongs to the tab that started it.
    pendingLoginsInSessionStorage: true,
  };
}
