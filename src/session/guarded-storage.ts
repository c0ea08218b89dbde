import { StorageError } from '../errors/errors.js';
import { mapMaybeAsync, type MaybePromise } from './maybe-async.js';
import type { StorageAdapter } from '../platform/storage.js';

/**
 * One storage adapter behind a uniform contract: absent values are `undefined`, and every failure
 * (blocked storage, full quota, a broken IndexedDB, a throwing custom adapter) is a {@link StorageError}.
 */
export interface GuardedStorage {
  /** The value, synchronously when the adapter is synchronous. */
  get(key: string): MaybePromise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Stored keys that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

/** `adapter` behind that contract. */
export function guardStorage(adapter: StorageAdapter): GuardedStorage {
  return {
    get: (key) => guard(() => mapMaybeAsync(adapter.get(key), (value) => (typeof value === 'string' ? value : undefined))),
    set: async (key, value) => void (await guard(() => adapter.set(key, value))),
    remove: async (key) => void (await guard(() => adapter.remove(key))),
    keys: async (prefix) => (await guard(() => adapter.keys())).filter((key) => typeof key === 'string' && key.startsWith(prefix)),
  };
}

function guard<T>(run: () => MaybePromise<T>): MaybePromise<T> {
  const fail = (error: unknown): never => {
    const full = (error as { name?: unknown } | null)?.name === 'QuotaExceededError';
    throw new StorageError('storage_unavailable', full ? 'storage is full' : 'storage is unavailable');
  };
  try {
    const result = run();
    return result instanceof Promise ? result.catch(fail) : result;
  } catch (error) {
    return fail(error);
  }
}
