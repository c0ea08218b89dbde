/** The session record: what one signed-in session stores, and pure helpers over it. */
import { isBoundedString, isNonNegative, parseStoredObject } from './stored-json.js';

/** The signed-in user: the claims of the ID token (`sub`, `name`, `email`, ...). */
export interface User {
  readonly sub: string;
  readonly [claim: string]: unknown;
}

/** Tokens from one successful token response, already validated by the protocol layer. */
export interface TokenGrant {
  accessToken: string;
  tokenType: string;
  /** Server-relative lifetime of the access token, if the provider said. */
  expiresIn: number | undefined;
  refreshToken: string | undefined;
  idToken: string | undefined;
  claims: User | undefined;
  scope: string | undefined;
}

/** The stored session. Instants are epoch milliseconds. */
export interface SessionRecord {
  readonly v: 1;
  readonly issuer: string;
  readonly clientId: string;
  /** Random id of the login this session came from; the same in every tab that shares it. */
  readonly sid: string;
  /** How many refreshes since that login: the larger of two copies holds the live refresh token. */
  readonly gen: number;
  /** When the login happened: a logout at or after this instant ends the session. */
  readonly loginAt: number;
  readonly accessToken: string;
  readonly tokenType: string;
  /** When the access token was received; with `expiresAt` it gives the token's lifetime. */
  readonly receivedAt: number;
  readonly expiresAt: number;
  readonly refreshToken?: string | undefined;
  readonly idToken: string;
  readonly claims: User;
  readonly scope?: string | undefined;
}

// Used when a provider omits expires_in: short enough that a revoked token is not used for long.
const ASSUMED_LIFETIME_SECONDS = 300;
// A longer expires_in counts as a day: a browser never trusts a token longer (and 1e308 stays a date).
export const MAX_LIFETIME_SECONDS = 86_400;
// However short the provider makes its tokens (expires_in 0 or 1 every time), one refresh a second at most.
const MIN_REFRESH_INTERVAL_MS = 1000;
// Far above any real token; a bigger stored value is corruption or an attack, not a session.
export const MAX_TOKEN_LENGTH = 64 * 1024;

/**
 * Builds the record from a validated token response. `previous` supplies what a refresh response may
 * leave out: the refresh token when none is rotated, and the ID token and claims.
 */
export function createSessionRecord(
  grant: TokenGrant,
  context: { issuer: string; clientId: string; now: number; sid: string },
  previous?: SessionRecord,
): SessionRecord {
  return {
    v: 1,
    issuer: context.issuer,
    clientId: context.clientId,
    sid: previous?.sid ?? context.sid,
    gen: previous ? previous.gen + 1 : 0,
    loginAt: previous?.loginAt ?? context.now,
    accessToken: grant.accessToken,
    tokenType: grant.tokenType,
    receivedAt: context.now,
    expiresAt: context.now + Math.min(grant.expiresIn ?? ASSUMED_LIFETIME_SECONDS, MAX_LIFETIME_SECONDS) * 1000,
    refreshToken: grant.refreshToken ?? previous?.refreshToken,
    // A login always has an ID token (required when redeeming the code); a refresh may reuse the old one.
    idToken: (grant.idToken ?? previous?.idToken) as string,
    claims: (grant.claims ?? previous?.claims) as User,
    scope: grant.scope ?? previous?.scope,
  };
}

/**
 * True while the access token can be used without a refresh. It counts as expired `leewaySeconds`
 * early, but never earlier than half its lifetime nor within a second of its receipt, so a short-lived
 * token is not refreshed on every call.
 */
export function isFresh(record: SessionRecord, now: number, leewaySeconds: number): boolean {
  return now < renewalDueAt(record, leewaySeconds);
}

/** When the access token stops counting as fresh (see {@link isFresh}); never within a second of its receipt. */
export function renewalDueAt(record: Pick<SessionRecord, 'expiresAt' | 'receivedAt'>, leewaySeconds: number): number {
  return Math.max(record.expiresAt - Math.min(leewaySeconds * 1000, (record.expiresAt - record.receivedAt) / 2), record.receivedAt + MIN_REFRESH_INTERVAL_MS);
}

/**
 * True when `candidate` should replace `current` (two tabs' copies of the session): a later refresh
 * of the same login, or a later login.
 */
export function isNewer(candidate: SessionRecord, current: SessionRecord | undefined): boolean {
  if (!current) return true;
  return candidate.sid === current.sid ? candidate.gen > current.gen : candidate.loginAt >= current.loginAt;
}

/** True when the session can still produce an access token: fresh now, or renewable. */
export function isUsable(record: SessionRecord, now: number, leewaySeconds: number): boolean {
  return record.refreshToken !== undefined || isFresh(record, now, leewaySeconds);
}

/** Serialises a record for storage. */
export const serializeSessionRecord: (record: SessionRecord) => string = JSON.stringify;

/**
 * Reads a stored record back. Storage is untrusted (other scripts, extensions, older versions), so any
 * value that is not exactly a well-formed record for this issuer and client yields `undefined`.
 */
export function parseSessionRecord(raw: unknown, expected: { issuer: string; clientId: string }): SessionRecord | undefined {
  const r = parseStoredObject(raw, 8 * MAX_TOKEN_LENGTH);
  const isToken = (value: unknown) => isBoundedString(value, MAX_TOKEN_LENGTH);
  const valid =
    r?.v === 1 &&
    r.issuer === expected.issuer &&
    r.clientId === expected.clientId &&
    // The beacon carries the sid too, and refuses one over 64 characters (ours are 43).
    isBoundedString(r.sid, 64) &&
    isNonNegative(r.gen) &&
    isNonNegative(r.loginAt) &&
    isToken(r.accessToken) &&
    isToken(r.tokenType) &&
    isNonNegative(r.receivedAt) &&
    isNonNegative(r.expiresAt) &&
    // Every instant in order, and no lifetime beyond what createSessionRecord allows.
    r.loginAt <= r.receivedAt &&
    r.receivedAt <= r.expiresAt &&
    r.expiresAt - r.receivedAt <= MAX_LIFETIME_SECONDS * 1000 &&
    (r.refreshToken === undefined || isToken(r.refreshToken)) &&
    isToken(r.idToken) &&
    // (Claims that are not an object have no `sub` string.)
    isToken((r.claims as Record<string, unknown> | null)?.sub) &&
    (r.scope === undefined || typeof r.scope === 'string');
  return valid ? (r as unknown as SessionRecord) : undefined;
}
