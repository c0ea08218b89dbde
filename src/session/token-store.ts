import type { GuardedStorage } from './guarded-storage.js';
import { mapMaybeAsync, type MaybePromise } from './maybe-async.js';
import { parseSessionRecord, type SessionRecord } from './token-set.js';

/**
 * The client's one session record, synchronously when storage is synchronous. A value that is not a
 * valid record (corrupt, foreign, from another version) reads as `undefined` and is removed. Every
 * write is the single key (`serializeSessionRecord` into `storage.set`): all or nothing.
 */
export function loadSession(storage: GuardedStorage, key: string, expected: { issuer: string; clientId: string }): MaybePromise<SessionRecord | undefined> {
  return mapMaybeAsync(storage.get(key), (raw) => {
    const record = parseSessionRecord(raw, expected);
    if (raw !== undefined && record === undefined) void storage.remove(key).catch(() => undefined);
    return record;
  });
}
