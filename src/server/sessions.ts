// Sessions, independent of HTTP: create one at login, read and slide it on every request, hand out
// fresh tokens (refreshing once across processes), end it. Store entries per session, where <h> is a
// keyed hash of the session id (never the id: a store dump, replica or MONITOR must not yield cookies):
//   s:<h>   the session (user claims and expiry times), sealed, small and read on every request;
//   t:<h>   its tokens, sealed, read only when a token is needed;
//   l:<h>   the refresh lock, while one process refreshes;
//   e:<h>   after the session was ended for the user (back-channel logout, endSessions): why, for a while;
// so that sliding the idle expiry never rewrites tokens a concurrent refresh has just rotated. Indexes:
//   u:<o>   the user's sessions (for the per-user cap and back-channel logout), <o> a keyed hash of `sub`;
//   i:<p>   the sessions of one provider session (back-channel logout by `sid`), <p> a keyed hash of `sid`.
// Every entry is sealed with the server's secret and bound to its own key (AES-GCM additional data):
// a session another server (another secret) wrote to a shared store is no session here, and an entry
// copied or swapped to another key does not open. Entries sharing <h> belong together (stores that
// evict, like the memory store, evict them together).
import { LoginRequiredError, NetworkError, ProtocolError, isAuthError, type AuthError } from '../errors/errors.js';
import { nextAttemptAt } from '../protocol/retry-policy.js';
import { parseStoredObject } from '../session/stored-json.js';
import { isInProcessStore } from './stores/memory.js';
import { renewalDueAt, type User } from '../session/token-set.js';
import { SessionStoreError } from './errors.js';
import type { ResolvedServerOptions } from './options.js';
import type { RelyingParty, ServerTokens } from './relying-party.js';
import { createKeyedHash, createSealer, isSessionId, newSessionId, toBase64Url, type Sealer } from './seal.js';
import type { SessionStore } from './stores/store.js';

/** A live session as the app sees it. Instants are epoch milliseconds. */
export interface Session {
  /** Identifies the session server-side. Never log it: it is the cookie's secret. */
  readonly id: string;
  /** The ID token's claims. */
  readonly user: User;
  readonly createdAt: number;
  /** When the session ends unless used again (idle timeout, capped by the absolute one). */
  readonly expiresAt: number;
  /** When the session ends however active (absolute timeout). */
  readonly absoluteExpiresAt: number;
}

interface StoredSession {
  readonly v: 1;
  readonly user: User;
  readonly createdAt: number;
  readonly idleExp: number;
  readonly absExp: number;
}

// A lock outlives any refresh request (deadline 10 s by default) so two never overlap.
const LOCK_TTL_MS = 15_000;
const LOCK_POLL_MS = 50;
const MAX_SESSION_JSON = 65_536;
/** Sessions whose refresh back-off this process remembers; the oldest is forgotten beyond it. */
const MAX_BACKOFFS = 10_000;
/** Token (and session) entries whose parse this process keeps; the oldest is forgotten beyond it. */
const MAX_PARSED_TOKENS = 10_000;
/** Login claims the stateless cookie mode remembers in this process; the oldest is forgotten beyond it. */
const MAX_CLAIMED_LOGINS = 10_000;

/**
 * Why the server ended a session before its time, as `GET session` tells the browser: `provider` when
 * the provider said so (back-channel logout), `ended` when the app did ({@link SessionServer.endSessions}).
 */
export type EndReason = 'provider' | 'ended';

/** Which sessions to end: those of a provider session (`sid`), of a user (`sub`), or both must match. */
export interface SessionMatch {
  readonly sid?: string;
  readonly sub?: string;
}

/** An end marker outlives its session by at most this (the browser asks at least this often when it looks). */
const END_MARKER_MAX_MS = 86_400_000;

/** A user's (or a provider session's) sessions, oldest first: [store handle, absolute expiry]. */
interface UserIndex {
  readonly v: 1;
  readonly sessions: ReadonlyArray<readonly [string, number]>;
}

/**
 * The sessions of one server.
 *
 * Store keys are keyed hashes of the session id (HMAC-SHA-256, key from each secret by HKDF), one per
 * secret. Rotation (`secret: [newest, ...older]`): a new session is keyed and sealed under the newest
 * secret; a session is looked up under each secret's hash in turn, so sessions from before the rotation
 * live on (their entries stay under the older secret's hash until they end, and each refresh re-seals
 * their tokens with the newest key). A cookie that names no session costs one store read per listed
 * secret. Dropping a secret from the list ends every session still keyed under it. The per-user index
 * is keyed by the newest secret only: after a rotation a user's older sessions are not counted by the
 * cap until they end.
 */
export class Sessions {
  readonly #options: ResolvedServerOptions;
  readonly #rp: RelyingParty;
  readonly #tokenSealer: Sealer;
  readonly #cookieSealer: Sealer;
  readonly #sessionSealer: Sealer;
  /** Sessions being ended for timing out, so that concurrent requests revoke their tokens once. */
  readonly #expiring = new Set<string>();
  readonly #userSealer: Sealer;
  readonly #endSealer: Sealer;
  /** Store handles of a session id, one per secret, newest first, with the keys of its entries. */
  readonly #handles: (id: string) => Promise<EntryKeys[]>;
  /**
   * The store handles of a user's index, one per secret, newest first: written under the newest only
   * (after a rotation a user's index starts afresh), read under each when sessions must end.
   */
  readonly #ownerHandles: (sub: string) => Promise<string[]>;
  /** The same for the index of a provider session (`sid`). */
  readonly #sidHandles: (sid: string) => Promise<string[]>;
  /** The store keys each session read in this process was found under (rotation: maybe an older secret's). */
  readonly #keysOf = new WeakMap<Session, EntryKeys>();
  /**
   * The session last read from a stored entry (by its frozen parse), handed out again while the entry
   * is unchanged: a session read on every request is then one object, not one per request.
   */
  readonly #sessionOf = new WeakMap<StoredSession, Session>();
  /** Refreshes in flight in this process, per session: concurrent requests share one. */
  readonly #refreshing = new Map<string, Promise<ServerTokens>>();
  /**
   * Refresh back-off per session, in this process (not shared through the store: each process makes
   * at most one attempt per back-off step, and the store lock already serialises the attempts), with
   * the error that started it.
   */
  readonly #backoff = new Map<string, { failures: number; until: number; error: AuthError }>();

  #inProcess: boolean | undefined;
  /** Token and session entries parsed in this process, by their opened text (bounded, oldest dropped first). */
  readonly #parsedTokens = new Map<string, ServerTokens>();
  readonly #parsedSessions = new Map<string, StoredSession>();
  /** The resource indicators logins ask for: the only ones with tokens of their own (and back-offs). */
  readonly #resources: readonly string[];

  constructor(options: ResolvedServerOptions, rp: RelyingParty) {
    this.#options = options;
    this.#resources = options.resources;
    this.#rp = rp;
    this.#tokenSealer = createSealer(options.secrets, 'tokens');
    this.#cookieSealer = createSealer(options.secrets, 'session-cookie');
    this.#sessionSealer = createSealer(options.secrets, 'session');
    this.#userSealer = createSealer(options.secrets, 'user-sessions');
    this.#handles = createKeyedHash(options.secrets, 'store-key', entryKeys);
    this.#ownerHandles = createKeyedHash(options.secrets, 'store-owner');
    this.#sidHandles = createKeyedHash(options.secrets, 'store-sid');
    this.#endSealer = createSealer(options.secrets, 'session-end');
  }

  get #store(): SessionStore | undefined {
    const store = this.#options.store;
    return store.kind === 'store' ? store : undefined;
  }

  /**
   * Starts a session after a login; returns the cookie value. Always a new id: an id known before
   * login (fixation) is never promoted. In cookie mode the value is the sealed session itself.
   */
  async create(user: User, tokens: ServerTokens): Promise<{ cookie: string; session: Session }> {
    const now = this.#options.now();
    const absExp = now + this.#options.absoluteMs;
    const stored: StoredSession = { v: 1, user, createdAt: now, idleExp: Math.min(now + this.#options.idleMs, absExp), absExp };
    const id = newSessionId();
    const store = this.#store;
    if (!store) {
      if (tokens.refreshToken) void this.#rp.revoke(tokens.refreshToken);
      return { cookie: await this.#cookieSealer.seal(JSON.stringify({ id, ...stored })), session: toSession(id, stored) };
    }
    const [keys] = (await this.#handles(id)) as [EntryKeys];
    const handle = keys.handle;
    const sealed = await this.#tokenSealer.seal(JSON.stringify(tokens), `t:${handle}`);
    // Tokens first: a session entry never points at tokens that are not there yet.
    // Both entries live exactly as long as the session: tokens never outlast it in the store.
    await this.#call(() => store.set(`t:${handle}`, sealed, stored.idleExp - now));
    const sealedSession = await this.#sessionSealer.seal(JSON.stringify(stored), `s:${handle}`);
    await this.#call(() => store.set(`s:${handle}`, sealedSession, stored.idleExp - now));
    await this.#capUserSessions(store, user.sub, handle, absExp);
    if (isIndexable(user.sid)) await this.#addToIndex(store, await this.#sidKey(user.sid), handle, absExp, now);
    const session = toSession(id, stored);
    this.#keysOf.set(session, keys);
    return { cookie: id, session };
  }

  /**
   * The session a cookie value names, if it is live; pushes the idle expiry back when it has used up
   * a tenth of it (at most a minute), so a busy session costs one store write a minute, not one per
   * request. `renewedCookie` is set in cookie mode when the cookie itself must be re-sent. With `slide`
   * false the expiry stays (a page checking in the background is no sign of the user).
   */
  async read(cookie: string | undefined, slide = true): Promise<{ session: Session; renewedCookie?: string } | undefined> {
    if (!cookie) return undefined;
    const now = this.#options.now();
    const store = this.#store;
    let id: string;
    let stored: StoredSession | undefined;
    let keys: EntryKeys | undefined;
    if (!store) {
      const parsed = parseSession(await this.#cookieSealer.unseal(cookie));
      if (!parsed || typeof parsed.id !== 'string') return undefined;
      id = parsed.id;
      stored = parsed;
    } else {
      if (!isSessionId(cookie)) return undefined;
      id = cookie;
      // Under the newest secret's handle, else an older one's (a session from before a rotation).
      for (const candidate of await this.#handles(id)) {
        const sealedSession = await this.#call(() => store.get(candidate.session));
        if (sealedSession === undefined) continue;
        keys = candidate;
        stored = this.#parseStoredSession(await this.#sessionSealer.unseal(sealedSession, candidate.session));
        break;
      }
    }
    if (!stored || now >= stored.idleExp || now >= stored.absExp || stored.createdAt > now + 60_000) {
      if (stored && store) void this.#expire(id).catch(() => undefined);
      return undefined;
    }
    const idleExp = Math.min(now + this.#options.idleMs, stored.absExp);
    if (!slide || idleExp - stored.idleExp < Math.min(this.#options.idleMs / 10, 60_000)) return { session: this.#found(id, stored, keys) };
    const slid: StoredSession = { ...stored, idleExp };
    if (!store || !keys) return { session: toSession(id, slid), renewedCookie: await this.#cookieSealer.seal(JSON.stringify({ id, ...slid })) };
    // Only if it still exists: a logout that landed after our read must stay a logout.
    const { session: sessionKey, tokens: tokensKey } = keys;
    const sealedSlid = await this.#sessionSealer.seal(JSON.stringify(slid), sessionKey);
    const [still] = await this.#call(() => Promise.all([store.update(sessionKey, sealedSlid, idleExp - now), store.touch(tokensKey, idleExp - now)]));
    return still ? { session: this.#found(id, slid, keys) } : undefined;
  }

  /**
   * A session entry's opened text, parsed once per text as {@link #readTokens} does: the result is
   * frozen, `user` included (the type says its claims are read-only; now no reader can change them
   * for the next request).
   */
  #parseStoredSession(plain: string | undefined): StoredSession | undefined {
    if (plain === undefined) return undefined;
    const known = this.#parsedSessions.get(plain);
    if (known) return known;
    const parsed = parseSession(plain);
    if (!parsed) return undefined;
    deepFreeze(parsed);
    if (this.#parsedSessions.size >= MAX_PARSED_TOKENS) this.#parsedSessions.delete(this.#parsedSessions.keys().next().value as string);
    this.#parsedSessions.set(plain, parsed);
    return parsed;
  }

  /** The session of a stored entry found under `keys` (stateless cookie mode: none). */
  #found(id: string, stored: StoredSession, keys: EntryKeys | undefined): Session {
    if (!keys) return toSession(id, stored);
    // The same session again while the entry is unchanged (two sessions may share a parse: check the id and keys).
    const known = this.#sessionOf.get(stored);
    if (known && known.id === id && this.#keysOf.get(known) === keys) return known;
    const session = Object.freeze(toSession(id, stored));
    this.#keysOf.set(session, keys);
    this.#sessionOf.set(stored, session);
    return session;
  }

  /** The keys a session's entries are stored under: where `read` found it, else looked up again. */
  async #keysFor(session: Session): Promise<EntryKeys | undefined> {
    const known = this.#keysOf.get(session);
    if (known) return known;
    const store = this.#store;
    if (!store || !isSessionId(session.id)) return undefined;
    for (const keys of await this.#handles(session.id)) if ((await this.#call(() => store.get(keys.session))) !== undefined) return keys;
    return undefined;
  }

  /**
   * The session's tokens with an access token valid for at least the leeway; refreshes when needed,
   * once per session across every process sharing the store (a lock in the store), once per process
   * for concurrent callers. With `resource`, the access-token fields are those of the token issued
   * for that resource (RFC 8707 §2.2), asked for with the refresh token when there is none yet or it
   * is due; each resource's token is renewed, and backs off, on its own.
   * @throws {@link LoginRequiredError} when only a new login can give a token: no tokens, no refresh
   *   token, `invalid_grant`, or a refreshed ID token for another user or login (the session is ended).
   * @throws {@link NetworkError} when the provider is unreachable or says "later" (429, 5xx, timeout);
   *   the session stays, and `retryAt` says when this session's next refresh is allowed. Until then no
   *   request is sent to the provider for this session (one back-off per session, in this process).
   * @throws {@link OAuthError} when the provider refuses the resource (`invalid_target`, `invalid_scope`):
   *   the session and its other tokens stay, and that resource backs off.
   */
  async tokens(session: Session, forceRefresh = false, resource?: string): Promise<ServerTokens> {
    const keys = await this.#keysFor(session);
    const current = keys && (await this.#readTokens(keys.handle, keys.tokens));
    if (!keys || !current) throw new LoginRequiredError('session has no tokens');
    const handle = keys.handle;
    const held = forResource(current, resource);
    if (!forceRefresh && held && this.#fresh(held)) return held;
    if (resource !== undefined) {
      // Never ask for a resource the grant may not cover: oidc-provider spends a rotating refresh
      // token before it refuses the resource, and the session would die at its next refresh.
      if (!current.loginResources?.includes(resource)) throw new LoginRequiredError(`the login did not ask for ${resource}: a new login will`);
      // A new login would not help: the provider issues this client no refresh token.
      if (!current.refreshToken) throw new ProtocolError('invalid_token_response', `a token for ${resource} is asked for with a refresh token, and the session has none`);
    }
    if (!current.refreshToken) throw new LoginRequiredError('the access token expired and the session has no refresh token');
    const key = flightKey(handle, resource);
    let flight = this.#refreshing.get(key);
    if (!flight) {
      flight = this.#refreshLocked(session, handle, held?.accessToken, resource).finally(() => this.#refreshing.delete(key));
      this.#refreshing.set(key, flight);
    }
    return flight;
  }

  /** Ends the session in the store; returns its tokens (for revocation and the end-session hint). */
  async destroy(cookie: string | undefined): Promise<ServerTokens | undefined> {
    const store = this.#store;
    if (!store || !cookie || !isSessionId(cookie)) return undefined;
    const handles = (await this.#handles(cookie)).map((keys) => keys.handle);
    let tokens: ServerTokens | undefined;
    let sub: string | undefined;
    for (const handle of handles) {
      tokens ??= await this.#readTokens(handle);
      if (sub === undefined) {
        const sealed = await this.#call(() => store.get(`s:${handle}`));
        const user = sealed === undefined ? undefined : parseSession(await this.#sessionSealer.unseal(sealed, `s:${handle}`))?.user;
        sub = user?.sub;
        if (sub !== undefined) await this.#forgetUserSession(store, sub, handle);
        if (isIndexable(user?.sid)) await this.#removeFromIndexes(store, [await this.#sidKey(user.sid)], [handle]);
      }
    }
    await this.#call(() => store.delete(handles.flatMap((handle) => [`s:${handle}`, `t:${handle}`])));
    for (const handle of handles) this.#forgetBackoff(handle);
    return tokens;
  }

  /**
   * Records a new session in its user's index and ends the user's oldest sessions beyond the cap
   * (sessions already gone leave the index first). Read-modify-write: two logins of one user racing
   * on two processes may both keep their entry, so the cap can be exceeded by the logins that raced.
   * An ended session's refresh token is deleted, not revoked: providers that share one grant between
   * a browser's logins (oidc-provider does) would revoke the newest session with it.
   */
  async #capUserSessions(store: SessionStore, sub: string, handle: string, absExp: number): Promise<void> {
    const key = await this.#userKey(sub);
    const now = this.#options.now();
    let sessions = (await this.#readUserIndex(store, key)).filter(([h, exp]) => exp > now && h !== handle);
    sessions.push([handle, absExp]);
    const max = this.#options.maxSessionsPerUser;
    if (sessions.length > max) {
      const live: Array<readonly [string, number]> = [];
      for (const entry of sessions) if (entry[0] === handle || (await this.#call(() => store.get(`s:${entry[0]}`))) !== undefined) live.push(entry);
      const ended = live.slice(0, Math.max(0, live.length - max));
      if (ended.length) await this.#call(() => store.delete(ended.flatMap(([h]) => [`s:${h}`, `t:${h}`])));
      sessions = live.slice(ended.length);
    }
    await this.#writeUserIndex(store, key, sessions, now);
  }

  async #forgetUserSession(store: SessionStore, sub: string, handle: string): Promise<void> {
    const key = await this.#userKey(sub);
    const now = this.#options.now();
    const sessions = (await this.#readUserIndex(store, key)).filter(([h, exp]) => exp > now && h !== handle);
    if (sessions.length) await this.#writeUserIndex(store, key, sessions, now);
    else await this.#call(() => store.delete([key]));
  }

  async #userKey(sub: string): Promise<string> {
    return `u:${(await this.#ownerHandles(sub))[0] as string}`;
  }

  async #sidKey(sid: string): Promise<string> {
    return `i:${(await this.#sidHandles(sid))[0] as string}`;
  }

  /** Adds a session to an index; entries past their expiry go, and beyond the per-user cap the oldest. */
  async #addToIndex(store: SessionStore, key: string, handle: string, absExp: number, now: number): Promise<void> {
    const sessions = (await this.#readUserIndex(store, key)).filter(([h, exp]) => exp > now && h !== handle);
    sessions.push([handle, absExp]);
    await this.#writeUserIndex(store, key, sessions.slice(-this.#options.maxSessionsPerUser), now);
  }

  /** Takes sessions out of indexes (an index left empty goes). */
  async #removeFromIndexes(store: SessionStore, keys: readonly string[], handles: readonly string[]): Promise<void> {
    const now = this.#options.now();
    for (const key of keys) {
      const before = await this.#readUserIndex(store, key);
      const after = before.filter(([h, exp]) => exp > now && !handles.includes(h));
      if (after.length === before.length) continue;
      if (after.length) await this.#writeUserIndex(store, key, after, now);
      else await this.#call(() => store.delete([key]));
    }
  }

  /**
   * Ends every live session that matches: with `sub`, the user's sessions (only those of the provider
   * session `sid` when both are given); with `sid` alone, those of that provider session. Their entries
   * go from the store, so every process sharing it sees them ended at their next request; an end marker
   * says why to the browser's next `GET session`. Refresh tokens the provider did not grant for
   * `offline_access` are revoked (Back-Channel Logout 1.0 §2.7); others stay live at the provider, as
   * the spec advises, but this server forgets them. Resolves with how many sessions ended.
   * @throws {@link SessionStoreError} when the store is unavailable (sessions ended so far stay ended).
   */
  async endSessions(match: SessionMatch, reason: EndReason): Promise<number> {
    const store = this.#store;
    if (!store || (match.sid === undefined && match.sub === undefined)) return 0;
    const keys =
      match.sub !== undefined
        ? (await this.#ownerHandles(match.sub)).map((h) => `u:${h}`)
        : (await this.#sidHandles(match.sid as string)).map((h) => `i:${h}`);
    const now = this.#options.now();
    const candidates = new Map<string, number>();
    for (const key of keys) for (const [handle, exp] of await this.#readUserIndex(store, key)) if (exp > now) candidates.set(handle, exp);
    const ended: string[] = [];
    const sids = new Set<string>();
    for (const [handle, absExp] of candidates) {
      const sealed = await this.#call(() => store.get(`s:${handle}`));
      const user = sealed === undefined ? undefined : parseSession(await this.#sessionSealer.unseal(sealed, `s:${handle}`))?.user;
      if (!user || (match.sub !== undefined && user.sub !== match.sub) || (match.sid !== undefined && user.sid !== match.sid)) continue;
      const tokens = await this.#readTokens(handle);
      const marker = await this.#endSealer.seal(JSON.stringify({ v: 1, reason, at: now }), `e:${handle}`);
      await this.#call(() => store.set(`e:${handle}`, marker, Math.max(1, Math.min(absExp - now, this.#options.idleMs, END_MARKER_MAX_MS))));
      await this.#call(() => store.delete([`s:${handle}`, `t:${handle}`]));
      this.#forgetBackoff(handle);
      ended.push(handle);
      if (isIndexable(user.sid)) sids.add(user.sid);
      if (tokens?.refreshToken && !/(^|\s)offline_access(\s|$)/.test(tokens.scope ?? '')) void this.#rp.revoke(tokens.refreshToken).catch(() => undefined);
    }
    if (ended.length) {
      const sidKeys = await Promise.all([...sids].map(async (sid) => (await this.#sidHandles(sid)).map((h) => `i:${h}`)));
      const userKeys = match.sub !== undefined ? keys : [];
      await this.#removeFromIndexes(store, [...userKeys, ...sidKeys.flat()], ended);
    }
    return ended.length;
  }

  /** Why the session a cookie named was ended for the user, while its end marker lasts. */
  async endReason(cookie: string | undefined): Promise<EndReason | undefined> {
    const store = this.#store;
    if (!store || !cookie || !isSessionId(cookie)) return undefined;
    for (const { handle } of await this.#handles(cookie)) {
      const sealed = await this.#call(() => store.get(`e:${handle}`));
      const marker = parseStoredObject(sealed === undefined ? undefined : await this.#endSealer.unseal(sealed, `e:${handle}`), 1024);
      if (marker?.v === 1 && (marker.reason === 'provider' || marker.reason === 'ended')) return marker.reason;
    }
    return undefined;
  }

  async #readUserIndex(store: SessionStore, key: string): Promise<Array<readonly [string, number]>> {
    const sealed = await this.#call(() => store.get(key));
    const index = parseStoredObject(sealed === undefined ? undefined : await this.#userSealer.unseal(sealed, key), MAX_SESSION_JSON) as Partial<UserIndex> | undefined;
    if (index?.v !== 1 || !Array.isArray(index.sessions)) return [];
    return index.sessions.filter((entry): entry is readonly [string, number] => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number');
  }

  async #writeUserIndex(store: SessionStore, key: string, sessions: ReadonlyArray<readonly [string, number]>, now: number): Promise<void> {
    const index: UserIndex = { v: 1, sessions };
    const sealed = await this.#userSealer.seal(JSON.stringify(index), key);
    const ttl = Math.max(...sessions.map(([, exp]) => exp)) - now;
    await this.#call(() => store.set(key, sealed, ttl));
  }

  /** Ends a session that timed out: its entries go, and its refresh token is revoked at the provider. */
  async #expire(id: string): Promise<void> {
    if (this.#expiring.has(id)) return;
    this.#expiring.add(id);
    try {
      const tokens = await this.destroy(id);
      if (tokens?.refreshToken) await this.#rp.revoke(tokens.refreshToken);
    } finally {
      this.#expiring.delete(id);
    }
  }

  /**
   * Usable without a refresh: browser mode's rule (`leewayMs` early, but never before half the
   * lifetime nor within a second of receipt, so short lifetimes cannot cause a refresh storm).
   */
  #fresh(tokens: ServerTokens): boolean {
    const { expiresAt, receivedAt } = tokens;
    if (expiresAt === 0) return true;
    const due = receivedAt === undefined ? expiresAt - this.#options.leewayMs : renewalDueAt({ expiresAt, receivedAt }, this.#options.leewayMs / 1000);
    return this.#options.now() < due;
  }

  async #refreshLocked(session: Session, handle: string, seen: string | undefined, resource: string | undefined): Promise<ServerTokens> {
    const store = this.#store as SessionStore;
    const key = flightKey(handle, resource);
    this.#throwIfBackingOff(key);
    const deadline = Date.now() + LOCK_TTL_MS;
    for (;;) {
      const release = await this.#call(() => store.lock(`l:${handle}`, LOCK_TTL_MS));
      if (release) {
        try {
          // Another process may have refreshed while we waited: use its tokens, never spend a rotated refresh token twice.
          const latest = await this.#latestTokens(handle, seen, resource);
          if (latest.renewed) return latest.renewed;
          this.#throwIfBackingOff(key);
          return await this.#refreshNow(session, handle, latest.tokens, resource);
        } finally {
          await release().catch(() => undefined);
        }
      }
      if (Date.now() > deadline) throw new SessionStoreError('session store: refresh lock not released');
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const latest = await this.#latestTokens(handle, seen, resource);
      if (latest.renewed) return latest.renewed;
    }
  }

  /** Forgets an ended session's back-offs: its own and each resource's. */
  #forgetBackoff(handle: string): void {
    this.#backoff.delete(handle);
    for (const resource of this.#resources) this.#backoff.delete(flightKey(handle, resource));
  }

  /**
   * During a back-off no request is sent: a transient failure gives a {@link NetworkError} saying when
   * the next attempt is allowed, any other (a malformed answer) the error the last attempt earned.
   */
  #throwIfBackingOff(handle: string): void {
    const backoff = this.#backoff.get(handle);
    if (!backoff || this.#options.now() >= backoff.until) return;
    if (backoff.error instanceof NetworkError) throw new NetworkError(backoff.error.code, `refresh: backing off after "${backoff.error.message}"`, backoff.until);
    throw backoff.error;
  }

  /**
   * Counts a failed refresh that keeps the session (transient, or a malformed answer: retrying at once
   * would not fix either) and returns the error to throw; a transient one says when to try again.
   */
  #backOff(handle: string, error: AuthError): AuthError {
    const now = this.#options.now();
    const failures = (this.#backoff.get(handle)?.failures ?? 0) + 1;
    const retryAt = error instanceof NetworkError ? error.retryAt : undefined;
    const until = nextAttemptAt(now, failures, retryAt === undefined ? 0 : retryAt - now);
    const thrown = error instanceof NetworkError ? new NetworkError(error.code, error.message, until) : error;
    this.#backoff.delete(handle);
    if (this.#backoff.size >= MAX_BACKOFFS) this.#backoff.delete(this.#backoff.keys().next().value as string);
    this.#backoff.set(handle, { failures, until, error: thrown });
    return thrown;
  }

  /** The stored tokens, and (for `resource`, or the login's token) those someone renewed since the access token `seen` was read. */
  async #latestTokens(handle: string, seen: string | undefined, resource: string | undefined): Promise<{ tokens: ServerTokens; renewed?: ServerTokens }> {
    const tokens = await this.#readTokens(handle);
    if (!tokens) throw new LoginRequiredError('session ended');
    const held = forResource(tokens, resource);
    return held && held.accessToken !== seen && this.#fresh(held) ? { tokens, renewed: held } : { tokens };
  }

  async #refreshNow(session: Session, handle: string, tokens: ServerTokens, resource: string | undefined): Promise<ServerTokens> {
    const store = this.#store as SessionStore;
    const key = flightKey(handle, resource);
    let next: ServerTokens;
    try {
      next = await this.#rp.refresh(tokens, session.user, resource);
    } catch (error) {
      if (error instanceof LoginRequiredError || (isAuthError(error) && (error as { error?: string }).error === 'invalid_grant')) {
        await this.destroy(session.id);
        if (error instanceof LoginRequiredError) throw error;
        throw new LoginRequiredError('the provider ended the session');
      }
      throw isAuthError(error) && !(error instanceof SessionStoreError) ? this.#backOff(key, error) : error;
    }
    this.#backoff.delete(key);
    // No longer than the session entry can live: a slide right now would give it idle time from now.
    const now = this.#options.now();
    const ttl = Math.min(session.absoluteExpiresAt, now + this.#options.idleMs) - now;
    if (ttl <= 0) throw new LoginRequiredError('session expired');
    // Tokens of resources the configuration no longer names are not carried on.
    if (next.resources && Object.keys(next.resources).some((name) => !this.#resources.includes(name))) {
      next = { ...next, resources: Object.fromEntries(Object.entries(next.resources).filter(([name]) => this.#resources.includes(name))) };
    }
    // Within what a read accepts: the other resources' tokens go first, then this one's (each is asked
    // for again when needed); the rotated refresh token is always kept.
    if (JSON.stringify(next).length > MAX_SESSION_JSON && next.resources) {
      const own = resource === undefined ? undefined : next.resources[resource];
      const alone: ServerTokens | undefined = own && { ...next, resources: { [resource as string]: own } };
      next = alone && JSON.stringify(alone).length <= MAX_SESSION_JSON ? alone : { ...next, resources: {} };
    }
    // Only if the session still exists: a logout during the refresh stays a logout.
    const sealed = await this.#tokenSealer.seal(JSON.stringify(next), `t:${handle}`);
    if (!(await this.#call(() => store.update(`t:${handle}`, sealed, ttl)))) throw new LoginRequiredError('session ended');
    const issued = forResource(next, resource);
    if (!issued) throw this.#backOff(key, new ProtocolError('invalid_token_response', `refresh: the token for ${resource} is too large to keep beside the session's`));
    return issued;
  }

  /** The tokens stored under `handle`; `key` is their entry's key (`t:<handle>`), built once when known. */
  async #readTokens(handle: string, key = `t:${handle}`): Promise<ServerTokens | undefined> {
    const store = this.#store;
    if (!store) return undefined;
    const sealed = await this.#call(() => store.get(key));
    const plain = sealed ? await this.#tokenSealer.unseal(sealed, key) : undefined;
    if (plain === undefined) return undefined;
    // Parsed once per stored text (the sealer hands back the same string while the entry is unchanged,
    // so the lookup hashes nothing new); frozen, since every reader of this session shares it.
    const known = this.#parsedTokens.get(plain);
    if (known) return known;
    const parsed = parseStoredObject(plain, MAX_SESSION_JSON);
    if (typeof parsed?.accessToken !== 'string') return undefined;
    const tokens = deepFreeze(parsed) as unknown as ServerTokens;
    if (this.#parsedTokens.size >= MAX_PARSED_TOKENS) this.#parsedTokens.delete(this.#parsedTokens.keys().next().value as string);
    this.#parsedTokens.set(plain, tokens);
    return tokens;
  }

  /** A store call with a deadline; failures and timeouts become {@link SessionStoreError}. */
  async #call<T>(operation: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // memoryStore() answers at once: a timer per call would only cost (one or two per request).
      if (this.#inProcess ??= this.#store !== undefined && isInProcessStore(this.#store)) return await operation();
      return await Promise.race([
        operation(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new SessionStoreError('session store: timed out')), this.#options.storeTimeoutMs);
        }),
      ]);
    } catch (error) {
      throw error instanceof SessionStoreError ? error : new SessionStoreError('session store: unavailable');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Takes a logout token's `jti` for its one use, until `until` (epoch ms), across every process sharing
   * the store (`j:` + a SHA-256 of it): resolves with the function that gives it back (when the logout
   * could not be completed, so the provider's retry is accepted), or undefined when it was used before.
   */
  async claimLogoutToken(jti: string, until: number): Promise<(() => Promise<void>) | undefined> {
    const store = this.#store as SessionStore;
    const key = `j:${toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(jti))))}`;
    return this.#call(() => store.lock(key, Math.max(1_000, until - this.#options.now())));
  }

  /** States claimed in this process (cookie mode only): SHA-256 of the state -> when the claim may be forgotten. */
  readonly #claimedLogins = new Map<string, number>();

  /**
   * Claims a pending login's `state` for its one callback; resolves false when it was claimed before
   * (a concurrent or replayed callback), so a code is redeemed once. With a store, a lock under a
   * SHA-256 of the state (`c:` prefix; never released, it expires at `expiresAt`) holds across every
   * process. In cookie mode there is no shared store: a record in this process, expired claims
   * dropped first and capped at MAX_CLAIMED_LOGINS (past the cap the oldest go), which covers the reload and the
   * proxy retry but not two processes behind a balancer.
   */
  async claimLogin(state: string, expiresAt: number): Promise<boolean> {
    const now = this.#options.now();
    if (expiresAt <= now) return false;
    const key = `c:${toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(state))))}`;
    const store = this.#store;
    if (store) return (await this.#call(() => store.lock(key, expiresAt - now))) !== undefined;
    const claimed = this.#claimedLogins;
    if ((claimed.get(key) ?? 0) > now) return false;
    if (claimed.size >= MAX_CLAIMED_LOGINS) for (const [old, until] of claimed) if (until <= now) claimed.delete(old);
    while (claimed.size >= MAX_CLAIMED_LOGINS) claimed.delete(claimed.keys().next().value as string);
    claimed.delete(key);
    claimed.set(key, expiresAt);
    return true;
  }
}

/** The store keys of a session's entries under one handle (see the top of this file). */
interface EntryKeys {
  readonly handle: string;
  /** `s:<handle>`, `t:<handle>`: built once per session id, since a key built per request is hashed anew at every lookup. */
  readonly session: string;
  readonly tokens: string;
}

function entryKeys(handle: string): EntryKeys {
  return { handle, session: `s:${handle}`, tokens: `t:${handle}` };
}

/** `value` and every object in it, frozen: a shared parse no reader can change for the next. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** A `sid` claim worth an index entry: a non-empty string of sane length. */
function isIndexable(sid: unknown): sid is string {
  return typeof sid === 'string' && sid.length > 0 && sid.length <= 1024;
}

/** Refreshes in flight and back-offs are per session and resource: one resource refused must not stall the others. */
function flightKey(handle: string, resource: string | undefined): string {
  return resource === undefined ? handle : `${handle} ${resource}`;
}

/**
 * The tokens with the access-token fields of `resource`'s token (undefined when the session has none
 * for it yet), or the tokens themselves without `resource`.
 */
function forResource(tokens: ServerTokens, resource: string | undefined): ServerTokens | undefined {
  if (resource === undefined) return tokens;
  const held = tokens.resources && Object.hasOwn(tokens.resources, resource) ? tokens.resources[resource] : undefined;
  if (!held || typeof held.accessToken !== 'string' || typeof held.tokenType !== 'string' || typeof held.expiresAt !== 'number') return undefined;
  const { accessToken, tokenType, expiresAt, receivedAt, scope } = held;
  // Field by field: a scope the answer left out stays out (RFC 6749 §5.1: then the one asked for), never the login token's.
  const { scope: _loginScope, ...rest } = tokens;
  return { ...rest, accessToken, tokenType, expiresAt, ...(receivedAt === undefined ? {} : { receivedAt }), ...(scope === undefined ? {} : { scope }) };
}

function toSession(id: string, stored: StoredSession): Session {
  return { id, user: stored.user, createdAt: stored.createdAt, expiresAt: Math.min(stored.idleExp, stored.absExp), absoluteExpiresAt: stored.absExp };
}

function parseSession(text: string | undefined): (StoredSession & { id?: unknown }) | undefined {
  const value = parseStoredObject(text, MAX_SESSION_JSON);
  if (!value || value.v !== 1 || typeof value.user !== 'object' || value.user === null || typeof (value.user as User).sub !== 'string') return undefined;
  for (const key of ['createdAt', 'idleExp', 'absExp']) if (typeof value[key] !== 'number' || !Number.isFinite(value[key])) return undefined;
  return value as unknown as StoredSession & { id?: unknown };
}
