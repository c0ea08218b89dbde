/**
 * Where the session server keeps sessions: a small key-value contract that any database can meet.
 * Values are strings the server wrote, already encrypted and bound to their key; keys are
 * `<kind>:<h>` where `<h>` is a keyed hash, never a session id, so reading the store (a dump, a
 * replica, `MONITOR`) yields no session cookie. Entries whose keys share the part after the first
 * `:` belong to one session (`s:` the session, `t:` its tokens, `l:` its refresh lock): a store that
 * evicts entries before their time should evict them together, as `memoryStore()` does, and evict
 * one-time login claims (`c:<h>`, taken with `lock()` and never released) before any session. Every
 * entry has a time to live; the server checks expiry itself too, so a store's TTL is garbage
 * collection only.
 */
export interface SessionStore {
  /** Marks this as a server-side store (the stateless cookie mode has no store). */
  readonly kind: 'store';
  get(key: string): Promise<string | undefined>;
  /** Creates or replaces the entry. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Replaces the entry only if it still exists (a logout in between must not be undone). Resolves true if it did. */
  update(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Gives the entry a new time to live, only if it still exists. Resolves true if it did. */
  touch(key: string, ttlMs: number): Promise<boolean>;
  delete(keys: readonly string[]): Promise<void>;
  /**
   * Takes a lock that expires by itself after `ttlMs`; resolves with its release function, or
   * undefined if someone else holds it. Used to refresh one session's tokens once across processes.
   */
  lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** The stateless mode: the session (the ID token's claims and its expiry times) lives, encrypted, in the cookie. */
export interface CookieStore {
  readonly kind: 'cookie';
}
