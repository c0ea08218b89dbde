import type { SessionStore } from './store.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** The clock, in ms since the epoch (tests pass the session server's fake clock). Default `Date.now`. */
  now?: () => number;
  /** Entries kept at most; the oldest are dropped beyond it. Default 100,000. */
  maxEntries?: number;
}

/**
 * Sessions in this process's memory: the default, for one process. Sessions end when it restarts and
 * are not shared between processes; use {@link redisStore} for that.
 */
export function memoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  let writes = 0;

  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) entries.delete(key);
    return entry && entry.expiresAt > now() ? entry : undefined;
  };
  const put = (key: string, value: string, ttlMs: number) => {
    entries.delete(key);
    entries.set(key, { value, expiresAt: now() + ttlMs });
    // Sweep expired entries now and then, and keep under the cap (Map keeps insertion order: oldest first).
    if (++writes % 1000 === 0) for (const k of [...entries.keys()]) live(k);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  };

  return {
    kind: 'store',
    get: async (key) => live(key)?.value,
    set: async (key, value, ttlMs) => put(key, value, ttlMs),
    update: async (key, value, ttlMs) => {
      if (!live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    touch: async (key, ttlMs) => {
      const entry = live(key);
      if (entry) entry.expiresAt = now() + ttlMs;
      return entry !== undefined;
    },
    delete: async (keys) => void keys.forEach((key) => entries.delete(key)),
    lock: async (key, ttlMs) => {
      if (live(key)) return undefined;
      const token = `${Math.random()}`;
      put(key, token, ttlMs);
      return async () => void (entries.get(key)?.value === token && entries.delete(key));
    },
  };
}
