import { StorageError } from './errors.js';
import { mapMaybeAsync, type MaybePromise } from './maybe-async.js';
import type { StorageAdapter } from './platform/storage.js';

/**
 * One storage adapter behind a uniform contract: absent values are `undefined`, and every failure
 * (blocked storage, full quota, a broken IndexedDB, a throwing custom adapter) is a {@link StorageError}.
 */
export class GuardedStorage {
  readonly #adapter: StorageAdapter;

  constructor(adapter: StorageAdapter) {
    this.#adapter = adapter;
  }

  /** The value, synchronously when the adapter is synchronous. */
  get(key: string): MaybePromise<string | undefined> {
    return guard('read', () => mapMaybeAsync(this.#adapter.get(key), (value) => (typeof value === 'string' ? value : undefined)));
  }

  async set(key: string, value: string): Promise<void> {
    await guard('write', () => this.#adapter.set(key, value));
  }

  async remove(key: string): Promise<void> {
    await guard('clear', () => this.#adapter.remove(key));
  }

  /** Stored keys that start with `prefix`. */
  async keys(prefix: string): Promise<string[]> {
    const all = await guard('list', () => this.#adapter.keys());
    return all.filter((key) => typeof key === 'string' && key.startsWith(prefix));
  }
}

function guard<T>(operation: string, run: () => MaybePromise<T>): MaybePromise<T> {
  const fail = (error: unknown): never => {
    const reason = (error as { name?: unknown } | null)?.name === 'QuotaExceededError' ? 'storage is full' : 'storage is unavailable';
    throw new StorageError('storage_unavailable', `cannot ${operation} the session: ${reason}`);
  };
  try {
    const result = run();
    return result instanceof Promise ? result.catch(fail) : result;
  } catch (error) {
    return fail(error);
  }
}
