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
    return guard(() => mapMaybeAsync(this.#adapter.get(key), (value) => (typeof value === 'string' ? value : undefined)));
  }

  async set(key: string, value: string): Promise<void> {
    await guard(() => this.#adapter.set(key, value));
  }

  async remove(key: string): Promise<void> {
    await guard(() => this.#adapter.remove(key));
  }

  /** Stored keys that start with `prefix`. */
  async keys(prefix: string): Promise<string[]> {
    const all = await guard(() => this.#adapter.keys());
    return all.filter((key) => typeof key === 'string' && key.startsWith(prefix));
  }
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
