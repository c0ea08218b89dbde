/**
 * `oidc-session/dpop`: sender-constrained tokens (RFC 9449). `new AuthClient({ ..., dpop: dpop() })`
 * binds every login's tokens to a key pair whose private key cannot leave the browser: a stolen access
 * or refresh token is useless without it. API calls carry their proof through `authFetch()` from
 * `oidc-session/fetch`.
 */
import type { DPoPHooks } from '../client/protocol-hooks.js';
import type { ProviderMetadata } from '../protocol/discovery.js';
import { ConfigError } from '../errors/errors.js';
import { TRANSACTION_MAX_AGE_MS } from '../session/transaction.js';
import { fallbackKeyStore, indexedDbKeyStore, memoryKeyStore, type KeyEntry, type KeyStore } from './key-store.js';
import { newKeyPair, proofSigner, sha256, type ProofSigner } from './proofs.js';
import { tokenRequestFetch } from './token-requests.js';

/** Options of {@link dpop}. */
export interface DPoPOptions {
  /**
   * Where the key pairs of signed-in sessions live. `'indexeddb'` (default): every tab of the origin
   * shares them and they survive reloads, as `sessionStorage` and `indexedDbStorage()` sessions do.
   * `'memory'`: this page only, for apps with `memoryStorage()`; a login's key waits for its callback
   * in IndexedDB when the page has it (memory does not survive the redirect; without IndexedDB the
   * login must come back to this page: a popup, a native app's browser) and moves to memory once the
   * tokens come. Other tabs cannot use memory keys: keep `shareSessionAcrossTabs: false` with it.
   */
  keyStorage?: 'indexeddb' | 'memory';
  /**
   * Accept a provider that answers with `token_type: Bearer` although DPoP was asked for (RFC 9449 §5
   * lets it): the session then uses Bearer tokens. Default `false`: such an answer is refused with a
   * {@link ProtocolError} and nothing is stored, and a provider whose metadata does not list ES256 in
   * `dpop_signing_alg_values_supported` fails `login()` before the browser leaves.
   */
  allowBearer?: boolean;
}

/** The sender-constrained tokens an {@link AuthClient} gets with `dpop: dpop()`. */
export type DPoP = DPoPHooks;

// Entries of tokens no session came back for (a tab closed with its sessionStorage) are swept after
// this long; a session that is used refreshes, and so renames, its entries long before.
const TOKEN_ENTRY_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * DPoP for an {@link AuthClient}: pass the result as its `dpop` option (one per client).
 *
 * - Each login makes an ES256 key pair, private key non-extractable, stored as a `CryptoKey` (never
 *   as JWK or PKCS8), and binds the authorization code to it with `dpop_jkt`.
 * - The code exchange, every refresh, a pushed authorization request and the revocation at logout
 *   carry a fresh proof; one retry answers a `use_dpop_nonce` challenge, the nonce kept per origin.
 * - A Bearer answer is refused (see `allowBearer`); the key goes when the session ends; a session
 *   whose key is gone is ended at its next refresh with a {@link LoginRequiredError}.
 * @throws {@link ConfigError} for an unknown or invalid option.
 */
export function dpop(options: DPoPOptions = {}): DPoP {
  if (typeof options !== 'object' || options === null) throw new ConfigError('dpop', 'expected an object of options');
  for (const key of Object.keys(options)) if (key !== 'keyStorage' && key !== 'allowBearer') throw new ConfigError('dpop', 'unknown option "' + key + '"');
  const { keyStorage = 'indexeddb', allowBearer = false } = options;
  if (keyStorage !== 'indexeddb' && keyStorage !== 'memory') throw new ConfigError('dpop', 'keyStorage must be "indexeddb" or "memory"');
  if (typeof allowBearer !== 'boolean') throw new ConfigError('dpop', 'allowBearer must be true or false');

  const shared = indexedDbKeyStore();
  const memory = memoryKeyStore();
  const pending = keyStorage === 'memory' ? fallbackKeyStore(shared, memory) : shared;
  const tokens = keyStorage === 'memory' ? memory : shared;
  let signer: ProofSigner | undefined;
  let last: [token: string, entry: KeyEntry | undefined] | undefined;
  // The last session that ended here, in memory only: logout clears storage first and revokes after,
  // and that revocation is signed with the session's key (it signs nothing else).
  let ended: [names: string[], entry: KeyEntry] | undefined;
  let now = Date.now;
  const signerFor = (clock: () => number) => (signer ??= proofSigner((now = clock)));

  return {
    fetch_: (resolved) =>
      tokenRequestFetch(
        {
          pending_: pending,
          tokens_: tokens,
          signer_: signerFor(resolved.now),
          allowBearer_: allowBearer,
          now_: resolved.now,
          ended_: (name) => (ended?.[0].includes(name) ? ended[1] : undefined),
        },
        // Resolved per request, so a test or app that replaces globalThis.fetch later is heard.
        (input, init) => (resolved.fetch ?? globalThis.fetch)(input, init),
      ),

    authorize_: async (href, resolved, metadata) => {
      if (!allowBearer && !(metadata as ProviderMetadata).dpop_signing_alg_values_supported?.includes('ES256')) {
        throw new ConfigError('dpop', 'the provider does not offer DPoP with ES256 (dpop_signing_alg_values_supported)');
      }
      let pair: CryptoKeyPair;
      try {
        pair = await newKeyPair();
      } catch {
        throw new ConfigError('dpop', 'this page cannot make keys (WebCrypto needs a secure context)');
      }
      const url = new URL(href);
      const at = resolved.now();
      // Stored before the browser leaves: a login whose key could not be kept fails here, not after the user signed in.
      await pending.set_([['pending:' + url.searchParams.get('code_challenge'), { pair, at }]]);
      void sweep(pending, at).catch(() => undefined);
      // RFC 9449 §10: the code is bound to this key, so a code stolen from the redirect is useless too.
      url.searchParams.set('dpop_jkt', await signerFor(resolved.now).thumbprint_(pair));
      return url.href;
    },

    end_: async (record) => {
      last = undefined;
      try {
        const names = await Promise.all([record.accessToken, record.refreshToken].filter((t) => t !== undefined).map(async (t) => 'token:' + (await sha256(t))));
        const entry = await tokens.get_(names[names.length - 1] as string);
        ended = entry && [names, entry];
        await tokens.delete_([...new Set([...names, ...(entry?.peers ?? [])])]);
      } catch {
        // Best effort: an entry left behind is swept, and its key signs nothing without the tokens.
      }
    },

    proof_: async (accessToken, method, url) => {
      // The last token's entry stays at hand: an API call then costs a signature, not a database read.
      if (last?.[0] !== accessToken || !last[1]) last = [accessToken, await tokens.get_('token:' + (await sha256(accessToken)))];
      const entry = last[1];
      return entry && !entry.bearer ? (signer ?? signerFor(now)).proof_(entry.pair, method, url, accessToken) : undefined;
    },

    nonce_: (response, url) => void (signer ?? signerFor(now)).nonce_(response, url),
  };
}

/** Removes abandoned logins' keys (older than a pending login may be) and long-unused token entries. */
async function sweep(store: KeyStore, now: number): Promise<void> {
  const stale = (await store.all_())
    .filter(([name, entry]) => now - entry.at > (name.startsWith('pending:') ? TRANSACTION_MAX_AGE_MS : TOKEN_ENTRY_MAX_AGE_MS))
    .map(([name]) => name);
  if (stale.length) await store.delete_(stale);
}
