import type { GuardedStorage } from '../session/guarded-storage.js';
import { isBoundedString, isNonNegative, parseStoredObject } from '../session/stored-json.js';
import type { SessionRecord } from '../session/token-set.js';

/**
 * A token-free note, in IndexedDB, of the newest session state across the tabs that keep their own
 * copy of the session (sessionStorage or memory): which login, how many refreshes, and when the last
 * logout happened. IndexedDB is consistent across tabs, so a tab holding the refresh lock can tell
 * whether its refresh token is still the live one before spending it.
 */
export interface Beacon {
  readonly v: 1;
  readonly sid: string;
  readonly gen: number;
  readonly loginAt: number;
  /** When the last logout happened; 0 while signed in. */
  readonly out: number;
}

/**
 * How this tab's copy compares with the beacon:
 * - `current`: nothing newer exists (or nothing is known);
 * - `stale`: a newer copy lives in another tab: adopt it, never spend this one's refresh token;
 * - `ended`: the session was signed out elsewhere.
 */
export type Verdict = 'current' | 'stale' | 'ended';

export function compareWithBeacon(record: SessionRecord | undefined, beacon: Beacon | undefined, shared: boolean): Verdict {
  if (!beacon) return 'current';
  // (Without a record, `record?.loginAt` is undefined: every comparison with it is false.)
  if (beacon.out && !((record?.loginAt as number) > beacon.out)) return 'ended';
  // The same login: a later refresh of it is newer. Another login (or none here): one the beacon says
  // started later, unless it ended since.
  return (record?.sid === beacon.sid ? beacon.gen > (record as SessionRecord).gen : shared && !beacon.out && !((record?.loginAt as number) >= beacon.loginAt))
    ? 'stale'
    : 'current';
}

/** The beacon for a record (signed in) or a logout at `out`. */
export function beaconFor(record: SessionRecord | undefined, out: number): Beacon {
  return { v: 1, sid: record?.sid ?? '-', gen: record?.gen ?? 0, loginAt: record?.loginAt ?? 0, out };
}

/** Reads the beacon; an unreadable or malformed one counts as absent. */
export async function readBeacon(storage: GuardedStorage, key: string): Promise<Beacon | undefined> {
  try {
    const b = parseStoredObject(await storage.get(key), 1024);
    return b?.v === 1 && isBoundedString(b.sid, 64) && isNonNegative(b.gen) && isNonNegative(b.loginAt) && isNonNegative(b.out)
      ? (b as unknown as Beacon)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the beacon. Without IndexedDB, tabs still sync by message, only without this safety net. */
export async function writeBeacon(storage: GuardedStorage, key: string, beacon: Beacon): Promise<void> {
  await storage.set(key, JSON.stringify(beacon)).catch(() => undefined);
}
