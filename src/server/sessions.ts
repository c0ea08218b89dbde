// Sessions, independent of HTTP: create one at login, read and slide it on every request, hand out
// fresh tokens (refreshing once across processes), end it. Store entries per session:
//   s:<id>  the session (user claims and expiry times), sealed, small and read on every request;
//   t:<id>  its tokens, sealed, read only when a token is needed;
// so that sliding the idle expiry never rewrites tokens a concurrent refresh has just rotated. Both are
// sealed with the server's secret: a session another server (another secret) wrote to a shared store
// is no session here.
import { LoginRequiredError, isAuthError } from '../errors.js';
import { parseStoredObject } from '../stored-json.js';
import type { User } from '../token-set.js';
import { SessionStoreError } from './errors.js';
import type { ResolvedServerOptions } from './options.js';
import type { RelyingParty, ServerTokens } from './relying-party.js';
import { createSealer, isSessionId, newSessionId, type Sealer } from './seal.js';
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

export class Sessions {
  readonly #options: ResolvedServerOptions;
  readonly #rp: RelyingParty;
  readonly #tokenSealer: Sealer;
  readonly #cookieSealer: Sealer;
  readonly #sessionSealer: Sealer;
  /** Sessions being ended for timing out, so that concurrent requests revoke their tokens once. */
  readonly #expiring = new Set<string>();
  /** Refreshes in flight in this process, per session: concurrent requests share one. */
  readonly #refreshing = new Map<string, Promise<ServerTokens>>();

  constructor(options: ResolvedServerOptions, rp: RelyingParty) {
    this.#options = options;
    this.#rp = rp;
    this.#tokenSealer = createSealer(options.secrets, 'tokens');
    this.#cookieSealer = createSealer(options.secrets, 'session-cookie');
    this.#sessionSealer = createSealer(options.secrets, 'session');
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
    const sealed = await this.#tokenSealer.seal(JSON.stringify(tokens));
    // Tokens first: a session entry never points at tokens that are not there yet.
    // Both entries live exactly as long as the session: tokens never outlast it in the store.
    await this.#call(() => store.set(`t:${id}`, sealed, stored.idleExp - now));
    const sealedSession = await this.#sessionSealer.seal(JSON.stringify(stored));
    await this.#call(() => store.set(`s:${id}`, sealedSession, stored.idleExp - now));
    return { cookie: id, session: toSession(id, stored) };
  }

  /**
   * The session a cookie value names, if it is live; pushes the idle expiry back when it has used up
   * a tenth of it (at most a minute), so a busy session costs one store write a minute, not one per
   * request. `renewedCookie` is set in cookie mode when the cookie itself must be re-sent.
   */
  async read(cookie: string | undefined): Promise<{ session: Session; renewedCookie?: string } | undefined> {
    if (!cookie) return undefined;
    const now = this.#options.now();
    const store = this.#store;
    let id: string;
    let stored: StoredSession | undefined;
    if (!store) {
      const parsed = parseSession(await this.#cookieSealer.unseal(cookie));
      if (!parsed || typeof parsed.id !== 'string') return undefined;
      id = parsed.id;
      stored = parsed;
    } else {
      if (!isSessionId(cookie)) return undefined;
      id = cookie;
      const sealedSession = await this.#call(() => store.get(`s:${id}`));
      stored = parseSession(sealedSession === undefined ? undefined : await this.#sessionSealer.unseal(sealedSession));
    }
    if (!stored || now >= stored.idleExp || now >= stored.absExp || stored.createdAt > now + 60_000) {
      if (stored && store) void this.#expire(id).catch(() => undefined);
      return undefined;
    }
    const idleExp = Math.min(now + this.#options.idleMs, stored.absExp);
    if (idleExp - stored.idleExp < Math.min(this.#options.idleMs / 10, 60_000)) return { session: toSession(id, stored) };
    const slid: StoredSession = { ...stored, idleExp };
    if (!store) return { session: toSession(id, slid), renewedCookie: await this.#cookieSealer.seal(JSON.stringify({ id, ...slid })) };
    // Only if it still exists: a logout that landed after our read must stay a logout.
    const sealedSlid = await this.#sessionSealer.seal(JSON.stringify(slid));
    const [still] = await this.#call(() => Promise.all([store.update(`s:${id}`, sealedSlid, idleExp - now), store.touch(`t:${id}`, idleExp - now)]));
    return still ? { session: toSession(id, slid) } : undefined;
  }

  /**
   * The session's tokens with an access token valid for at least the leeway; refreshes when needed,
   * once per session across every process sharing the store (a lock in the store), once per process
   * for concurrent callers. `invalid_grant` ends the session and throws {@link LoginRequiredError}.
   */
  async tokens(session: Session, forceRefresh = false): Promise<ServerTokens> {
    const current = await this.#readTokens(session.id);
    if (!current) throw new LoginRequiredError('session has no tokens');
    if (!forceRefresh && this.#fresh(current)) return current;
    let flight = this.#refreshing.get(session.id);
    if (!flight) {
      flight = this.#refreshLocked(session, current).finally(() => this.#refreshing.delete(session.id));
      this.#refreshing.set(session.id, flight);
    }
    return flight;
  }

  /** Ends the session in the store; returns its tokens (for revocation and the end-session hint). */
  async destroy(cookie: string | undefined): Promise<ServerTokens | undefined> {
    const store = this.#store;
    if (!store || !cookie || !isSessionId(cookie)) return undefined;
    const tokens = await this.#readTokens(cookie);
    await this.#call(() => store.delete([`s:${cookie}`, `t:${cookie}`]));
    return tokens;
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

  #fresh(tokens: ServerTokens): boolean {
    return tokens.expiresAt === 0 || tokens.expiresAt - this.#options.leewayMs > this.#options.now();
  }

  async #refreshLocked(session: Session, seen: ServerTokens): Promise<ServerTokens> {
    const store = this.#store as SessionStore;
    const deadline = Date.now() + LOCK_TTL_MS;
    for (;;) {
      const release = await this.#call(() => store.lock(`l:${session.id}`, LOCK_TTL_MS));
      if (release) {
        try {
          // Another process may have refreshed while we waited: use its tokens, never spend a rotated refresh token twice.
          const latest = await this.#latestTokens(session.id, seen);
          return latest.renewed ? latest.tokens : await this.#refreshNow(session, latest.tokens);
        } finally {
          await release().catch(() => undefined);
        }
      }
      if (Date.now() > deadline) throw new SessionStoreError('session store: refresh lock not released');
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
      const latest = await this.#latestTokens(session.id, seen);
      if (latest.renewed) return latest.tokens;
    }
  }

  /** The stored tokens, and whether someone renewed them since `seen` was read. */
  async #latestTokens(id: string, seen: ServerTokens): Promise<{ tokens: ServerTokens; renewed: boolean }> {
    const tokens = await this.#readTokens(id);
    if (!tokens) throw new LoginRequiredError('session ended');
    return { tokens, renewed: tokens.accessToken !== seen.accessToken && this.#fresh(tokens) };
  }

  async #refreshNow(session: Session, tokens: ServerTokens): Promise<ServerTokens> {
    const store = this.#store as SessionStore;
    let next: ServerTokens;
    try {
      next = await this.#rp.refresh(tokens);
    } catch (error) {
      if (isAuthError(error) && (error as { error?: string }).error === 'invalid_grant') {
        await this.destroy(session.id);
        throw new LoginRequiredError('the provider ended the session');
      }
      throw error;
    }
    // No longer than the session entry can live: a slide right now would give it idle time from now.
    const now = this.#options.now();
    const ttl = Math.min(session.absoluteExpiresAt, now + this.#options.idleMs) - now;
    if (ttl <= 0) throw new LoginRequiredError('session expired');
    // Only if the session still exists: a logout during the refresh stays a logout.
    const sealed = await this.#tokenSealer.seal(JSON.stringify(next));
    if (!(await this.#call(() => store.update(`t:${session.id}`, sealed, ttl)))) throw new LoginRequiredError('session ended');
    return next;
  }

  async #readTokens(id: string): Promise<ServerTokens | undefined> {
    const store = this.#store;
    if (!store) return undefined;
    const sealed = await this.#call(() => store.get(`t:${id}`));
    const parsed = parseStoredObject(sealed ? await this.#tokenSealer.unseal(sealed) : undefined, MAX_SESSION_JSON);
    return typeof parsed?.accessToken === 'string' ? (parsed as unknown as ServerTokens) : undefined;
  }

  /** A store call with a deadline; failures and timeouts become {@link SessionStoreError}. */
  async #call<T>(operation: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
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
