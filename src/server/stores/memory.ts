import type { SessionStore } from './store.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** The clock, in ms since the epoch (tests pass the session server's fake clock). Default `Date.now`. */
  now?: () => number;
  /**
   * Entries kept at most. Beyond it, expired entries go first, then one-time login claims (`c:`), then
   * the least recently used sessions, each with all its entries (see {@link SessionStore}). Default 100,000.
   */
  maxEntries?: number;
}

interface Entry {
  value: string;
  expiresAt: number;
  /** groupOf(key), kept: the same string object at every use, whose hash V8 keeps. */
  readonly group: string;
}

/** Stores made by {@link memoryStore}: in this process's memory, they answer or fail at once and need no deadline. */
const inProcessStores = new WeakSet<SessionStore>();

/** True for a store made by {@link memoryStore}. */
export function isInProcessStore(store: SessionStore): boolean {
  return inProcessStores.has(store);
}

/**
 * Sessions in this process's memory: the default, for one process. Sessions end when it restarts and
 * are not shared between processes; use {@link redisStore} for that.
 */
export function memoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const entries = new Map<string, Entry>();
  // Entries that belong together (same group, see groupOf), least recently used first: a Map keeps
  // insertion order, and every use moves the group to the end.
  const groups = new Map<string, Set<string>>();
  // One-time login claims (`c:` keys), oldest first: when full they make room before any session does,
  // so anonymous callbacks (each writes a claim) cannot push signed-in users out.
  const claims = new Set<string>();
  let size = 0;
  // No sweep before this instant: no entry expires earlier (and sweeps, a full scan, are a second apart).
  let sweepAt = Infinity;

  // The group last moved to the end: a request reads a session's entries one after another, and
  // moving a group that is already the most recent would only rehash its key.
  let newest: string | undefined;
  const use = (group: string) => {
    if (group === newest) return;
    const members = groups.get(group);
    if (!members) return;
    groups.delete(group);
    groups.set(group, members);
    newest = group;
  };
  const remove = (key: string) => {
    if (!entries.delete(key)) return;
    size--;
    claims.delete(key);
    const group = groupOf(key);
    const members = groups.get(group);
    members?.delete(key);
    if (members?.size === 0) {
      groups.delete(group);
      if (group === newest) newest = undefined;
    }
  };
  const live = (key: string) => {
    const entry = entries.get(key);
    if (!entry || entry.expiresAt > now()) return entry;
    remove(key);
    return undefined;
  };
  const sweep = () => {
    const at = now();
    sweepAt = Infinity;
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= at) remove(key);
      else sweepAt = Math.min(sweepAt, entry.expiresAt);
    }
    sweepAt = Math.max(sweepAt, at + 1_000);
  };
  const put = (key: string, value: string, ttlMs: number) => {
    const expiresAt = now() + ttlMs;
    const known = entries.get(key);
    if (!known) size++;
    const group = known?.group ?? groupOf(key);
    entries.set(key, { value, expiresAt, group });
    sweepAt = Math.min(sweepAt, expiresAt);
    const members = groups.get(group) ?? new Set<string>();
    members.add(key);
    groups.delete(group);
    groups.set(group, members);
    newest = group;
    if (key.startsWith('c:')) claims.add(key);
    if (size <= maxEntries) return;
    // Full: what has expired goes first; then claims; then whole groups, least recently used first (never the one just written).
    if (now() >= sweepAt) sweep();
    for (const claim of claims) {
      if (size <= maxEntries) return;
      if (claim !== key) remove(claim);
    }
    for (const [oldest, keys] of groups) {
      if (size <= maxEntries || oldest === group) break;
      for (const member of [...keys]) remove(member);
    }
  };

  const store: SessionStore = {
    kind: 'store',
    get: async (key) => {
      const entry = live(key);
      if (!entry) return undefined;
      use(entry.group);
      return entry.value;
    },
    set: async (key, value, ttlMs) => put(key, value, ttlMs),
    update: async (key, value, ttlMs) => {
      if (!live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    touch: async (key, ttlMs) => {
      const entry = live(key);
      if (!entry) return false;
      entry.expiresAt = now() + ttlMs;
      use(entry.group);
      return true;
    },
    delete: async (keys) => void keys.forEach(remove),
    lock: async (key, ttlMs) => {
      if (live(key)) return undefined;
      const token = `${Math.random()}`;
      put(key, token, ttlMs);
      return async () => void (entries.get(key)?.value === token && remove(key));
    },
  };
  inProcessStores.add(store);
  return store;
}

/**
 * The group of a key: what follows its first `:` (the session server names a session's entries
 * `s:<h>`, `t:<h>`, `l:<h>`), or the whole key when it has none.
 */
function groupOf(key: string): string {
  const colon = key.indexOf(':');
  return colon < 0 ? key : key.slice(colon + 1);
}
