import type { StorageAdapter } from '../platform/storage.js';

/**
 * The methods of `SecureStorage` from `@aparajita/capacitor-secure-storage` (2.1 and later) that the
 * adapter calls, with the plugin's own signatures: iOS Keychain, Android Keystore-encrypted storage.
 *
 * Its `getItem`/`setItem`/`removeItem` move strings as they are. Its `get`/`set` are not used: they
 * JSON-encode what they store and turn a stored ISO date back into a `Date`.
 */
export interface AparajitaSecureStorage {
  /** The value, or `null` when the key is absent. Rejects on an OS error. */
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  /** Resolves also when the key is absent. */
  removeItem(key: string): Promise<void>;
  /** Every key under the plugin's own prefix (`setKeyPrefix`), with that prefix taken off. */
  keys(sync?: boolean): Promise<string[]>;
}

/**
 * The methods of `SecureStoragePlugin` from `capacitor-secure-storage-plugin` that the adapter calls,
 * with the plugin's own signatures: iOS Keychain, Android Keystore-encrypted SharedPreferences.
 */
export interface SecureStoragePluginApi {
  /** Rejects when the key is absent (on the web, with a bare string rather than an `Error`). */
  get(options: { key: string }): Promise<{ value: string }>;
  set(options: { key: string; value: string }): Promise<{ value: boolean }>;
  /** Rejects when the key is absent. */
  remove(options: { key: string }): Promise<{ value: boolean }>;
  keys(): Promise<{ value: string[] }>;
}

/** Options of {@link capacitorSecureStorage}. */
export interface CapacitorSecureStorageOptions {
  /**
   * Put before every key the SDK stores and required of every key it lists, so the SDK's entries stay
   * apart from the app's own in the same plugin. Default: none (the SDK's keys already start with
   * `oidc-session:`).
   */
  prefix?: string;
}

/**
 * Storage in the device's secure store through a Capacitor plugin the app installs: the session and
 * pending logins survive the app being killed while the system browser is open, and neither is kept in
 * plain text (unlike `@capacitor/preferences`). Shared by every web view of the app.
 *
 * Capacitor plugin objects answer every property name, so the adapter cannot tell which plugin it was
 * given: name it with `api` unless it is `@aparajita/capacitor-secure-storage`, the default.
 *
 * ```ts
 * import { SecureStorage } from '@aparajita/capacitor-secure-storage';
 * new AuthClient({ ...options, storage: capacitorSecureStorage(SecureStorage) });
 *
 * import { SecureStoragePlugin } from 'capacitor-secure-storage-plugin';
 * new AuthClient({ ...options, storage: capacitorSecureStorage(SecureStoragePlugin, { api: 'capacitor-secure-storage-plugin' }) });
 * ```
 *
 * A missing key reads as absent; every other failure of the plugin rejects, and the SDK reports it
 * as a `StorageError`.
 */
export function capacitorSecureStorage(
  plugin: AparajitaSecureStorage,
  options?: CapacitorSecureStorageOptions & { api?: '@aparajita/capacitor-secure-storage' },
): StorageAdapter;
export function capacitorSecureStorage(
  plugin: SecureStoragePluginApi,
  options: CapacitorSecureStorageOptions & { api: 'capacitor-secure-storage-plugin' },
): StorageAdapter;
export function capacitorSecureStorage(
  plugin: AparajitaSecureStorage | SecureStoragePluginApi,
  options: CapacitorSecureStorageOptions & { api?: string } = {},
): StorageAdapter {
  const prefix = options.prefix ?? '';
  const store = options.api === 'capacitor-secure-storage-plugin' ? overSecureStoragePlugin(plugin as SecureStoragePluginApi) : overAparajita(plugin as AparajitaSecureStorage);
  return {
    get: (key) => store.get(prefix + key),
    set: (key, value) => {
      // Both plugins take strings only; one would store "" for anything else without a word.
      if (typeof value !== 'string') throw new TypeError('secure storage takes strings only');
      return store.set(prefix + key, value);
    },
    remove: (key) => store.remove(prefix + key),
    keys: async () => (await store.keys()).filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)),
  };
}

interface RawStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  keys(): Promise<readonly string[]>;
}

// Methods are looked up on the plugin at each call and never detached from it: a Capacitor plugin is a
// proxy that builds each method on access.
function overAparajita(plugin: AparajitaSecureStorage): RawStore {
  return {
    get: async (key) => (await plugin.getItem(key)) ?? undefined,
    set: (key, value) => plugin.setItem(key, value),
    remove: (key) => plugin.removeItem(key),
    keys: () => plugin.keys(),
  };
}

function overSecureStoragePlugin(plugin: SecureStoragePluginApi): RawStore {
  // The plugin rejects for a missing key, with a message and on the web a bare string: asking for the
  // key list tells that apart from a real failure without depending on the wording.
  const isAbsent = async (key: string) => !(await plugin.keys()).value.includes(key);
  return {
    get: async (key) => {
      try {
        return (await plugin.get({ key })).value;
      } catch (error) {
        if (await isAbsent(key)) return undefined;
        throw error;
      }
    },
    set: async (key, value) => void (await plugin.set({ key, value })),
    remove: async (key) => {
      try {
        await plugin.remove({ key });
      } catch (error) {
        if (!(await isAbsent(key))) throw error;
      }
    },
    keys: async () => (await plugin.keys()).value,
  };
}
