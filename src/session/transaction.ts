import type { GuardedStorage } from './guarded-storage.js';
import type { KeyPrefix } from './storage-keys.js';
import { isBoundedString, isNonNegative, parseStoredObject } from './stored-json.js';

/**
 * The one-time record of a login in progress, keyed by its `state` so that two tabs (or two logins in
 * one tab) never use each other's verifier or nonce.
 */
export interface Transaction {
  readonly v: 1;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly issuer: string;
  readonly redirectUri: string;
  /** Same-origin path to return to after login. */
  readonly returnTo: string;
  /** `max_age` sent with the request, so `auth_time` can be enforced. */
  readonly maxAge?: number | undefined;
  readonly createdAt: number;
}

/** A login not completed within this time is abandoned: its record is refused and swept away. */
export const TRANSACTION_MAX_AGE_MS = 15 * 60 * 1000;
const MAX_FIELD_LENGTH = 2048;

/**
 * Stores a new transaction. An abandoned one is refused once too old and removed at the next logout;
 * in the built-in modes it lives in sessionStorage and ends with the tab anyway.
 */
export async function saveTransaction(storage: GuardedStorage, prefix: KeyPrefix, txn: Transaction): Promise<void> {
  await storage.set(prefix + 'txn:' + txn.state, JSON.stringify(txn));
}

/**
 * Reads and deletes the transaction for `state` in one step, so a callback URL can be redeemed at
 * most once. Returns `undefined` when there is none, `'expired'` when it is too old to trust.
 */
export async function takeTransaction(
  storage: GuardedStorage,
  prefix: KeyPrefix,
  state: string,
  now: number,
  belongs: (txn: Transaction) => boolean,
): Promise<Transaction | 'expired' | 'elsewhere' | undefined> {
  if (state.length > MAX_FIELD_LENGTH) return undefined;
  const key = prefix + 'txn:' + state;
  const raw = await storage.get(key);
  if (raw === undefined) return undefined;
  // Stored values are untrusted: anything but a well-formed record of this state is ignored.
  const t = parseStoredObject(raw, 8 * MAX_FIELD_LENGTH);
  const isField = (value: unknown) => isBoundedString(value, MAX_FIELD_LENGTH);
  const ok =
    t?.v === 1 &&
    isField(t.state) &&
    isField(t.nonce) &&
    isField(t.codeVerifier) &&
    isField(t.issuer) &&
    isField(t.redirectUri) &&
    typeof t.returnTo === 'string' &&
    (t.maxAge === undefined || isNonNegative(t.maxAge)) &&
    isNonNegative(t.createdAt) &&
    t.state === state;
  // A response that arrived elsewhere (another path or scheme) is not this login's: it stays pending.
  if (ok && !belongs(t as unknown as Transaction)) return 'elsewhere';
  await storage.remove(key);
  if (!ok) return undefined;
  return Math.abs(now - (t.createdAt as number)) > TRANSACTION_MAX_AGE_MS ? 'expired' : (t as unknown as Transaction);
}

/** True when any login is pending in this storage. */
export async function hasPendingTransaction(storage: GuardedStorage, prefix: KeyPrefix): Promise<boolean> {
  return (await storage.keys(prefix + 'txn:')).length > 0;
}

/** Removes every pending transaction (logout leaves no verifier behind). */
export async function clearTransactions(storage: GuardedStorage, prefix: KeyPrefix): Promise<void> {
  for (const key of await storage.keys(prefix + 'txn:')) await storage.remove(key);
}
