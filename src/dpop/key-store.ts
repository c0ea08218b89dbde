import { createStore, delMany, entries, get, setMany, type UseStore } from 'idb-keyval';
import { StorageError } from '../errors/errors.js';

/**
 * One DPoP key pair and what it is bound to. The private key is a non-extractable `CryptoKey`: stored
 * as the object itself (IndexedDB keeps it by structured clone), never as JWK or PKCS8, so no script —
 * not even ours — can read its bytes.
 */
export interface KeyEntry {
  readonly pair: CryptoKeyPair;
  /** When it was stored (epoch ms), for the sweep of entries no session came back for. */
  readonly at: number;
  /** Set when the provider answered with a Bearer token and the app allowed it: no proof with this token. */
  readonly bearer?: true;
  /** The names of the other entries of the same tokens (the access token's and the refresh token's). */
  readonly peers?: readonly string[];
}

/**
 * Where keys live, by name: `pending:<code_challenge>` for a login in progress (the challenge names the
 * login without storing its verifier), `token:<SHA-256 of a token>` once the tokens are issued.
 */
export interface KeyStore {
  get_(name: string): Promise<KeyEntry | undefined>;
  set_(records: [string, KeyEntry][]): Promise<void>;
  delete_(names: readonly string[]): Promise<void>;
  /** Every entry, for the sweep. */
  all_(): Promise<[string, KeyEntry][]>;
}

// A blocked or broken IndexedDB can leave a request pending forever: every call gets a deadline.
const DEADLINE_MS = 5000;

/** Keys in IndexedDB (`oidc-session-dpop`), shared by every tab of the origin; opened on first use. */
export function indexedDbKeyStore(): KeyStore {
  let store: UseStore | undefined;
  const run = async <T>(use: (store: UseStore) => Promise<T>): Promise<T> => {
    try {
      store ??= createStore('oidc-session-dpop', 'keys');
      return await Promise.race([use(store), new Promise<never>((_, reject) => setTimeout(reject, DEADLINE_MS, new Error('timeout')))]);
    } catch {
      // The next call opens the database again: a closed connection (Safari) is not forever.
      store = undefined;
      throw new StorageError('storage_unavailable', 'DPoP: IndexedDB is unavailable');
    }
  };
  return {
    get_: (name) => run((s) => get<KeyEntry>(name, s)),
    set_: (records) => run((s) => setMany(records, s)),
    delete_: (names) => run((s) => delMany([...names], s)),
    all_: () => run((s) => entries<string, KeyEntry>(s)),
  };
}

/** Keys in this page's memory only: nothing written anywhere; gone with the page. */
export function memoryKeyStore(): KeyStore {
  const map = new Map<string, KeyEntry>();
  return {
    get_: async (name) => map.get(name),
    set_: async (records) => void records.forEach(([name, entry]) => map.set(name, entry)),
    delete_: async (names) => void names.forEach((name) => map.delete(name)),
    all_: async () => [...map],
  };
}

/**
 * `primary` where it works, else `fallback`: for memory-kept keys, a login's key goes to IndexedDB
 * (so that it survives the redirect) when the page has one, and stays in memory when not.
 */
export function fallbackKeyStore(primary: KeyStore, fallback: KeyStore): KeyStore {
  const quiet = <T>(promise: Promise<T>) => promise.catch(() => undefined);
  return {
    get_: async (name) => (await quiet(primary.get_(name))) ?? fallback.get_(name),
    set_: (records) => primary.set_(records).catch(() => fallback.set_(records)),
    delete_: async (names) => void (await Promise.all([quiet(primary.delete_(names)), fallback.delete_(names)])),
    all_: async () => [...((await quiet(primary.all_())) ?? []), ...(await fallback.all_())],
  };
}
