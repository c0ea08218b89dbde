import type { GuardedStorage } from './guarded-storage.js';
import { mapMaybeAsync, type MaybePromise } from './maybe-async.js';
import { parseSessionRecord, serializeSessionRecord, type SessionRecord } from './token-set.js';

/** Loads, saves and clears the one session record of a client. Every write is a single key: all or nothing. */
export class TokenStore {
  readonly #storage: GuardedStorage;
  readonly #key: string;
  readonly #expected: { issuer: string; clientId: string };

  constructor(storage: GuardedStorage, key: string, expected: { issuer: string; clientId: string }) {
    this.#storage = storage;
    this.#key = key;
    this.#expected = expected;
  }

  /**
   * The stored record, synchronously when storage is synchronous. A value that is not a valid
   * record (corrupt, foreign, from another version) reads as `undefined` and is removed.
   */
  load(): MaybePromise<SessionRecord | undefined> {
    return mapMaybeAsync(this.#storage.get(this.#key), (raw) => {
      const record = parseSessionRecord(raw, this.#expected);
      if (raw !== undefined && record === undefined) void this.clear().catch(() => undefined);
      return record;
    });
  }

  save(record: SessionRecord): Promise<void> {
    return this.#storage.set(this.#key, serializeSessionRecord(record));
  }

  clear(): Promise<void> {
    return this.#storage.remove(this.#key);
  }
}
