import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { StorageAdapter } from './storage.js';

const DATABASE = 'oidc-session';
const STORE = 'kv';
// A blocked or broken IndexedDB can leave a request pending forever; every call gets a deadline.
const DEADLINE_MS = 5000;

/**
 * The adapter over IndexedDB (via idb-keyval): survives reloads and browser restarts, shared by every
 * tab of the origin. The database opens on first use, never at import or construction.
 */
export function indexedDbAdapter(): StorageAdapter {
  let store: UseStore | undefined;
  const useStore = (): UseStore => (store ??= createStore(DATABASE, STORE));
  return {
    get: (key) => withDeadline(get<string>(key, useStore())),
    set: (key, value) => withDeadline(set(key, value, useStore())),
    remove: (key) => withDeadline(del(key, useStore())),
    keys: () => withDeadline(keys<string>(useStore())),
  };
}

function withDeadline<T>(operation: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), DEADLINE_MS);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}
