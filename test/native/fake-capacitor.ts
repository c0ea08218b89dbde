// Fakes of the two Capacitor secure-storage plugins, behaving as their native sides do (read from their
// sources: @aparajita/capacitor-secure-storage 8.0 src/base.ts and the iOS/Android plugins;
// capacitor-secure-storage-plugin 0.12 src/definitions.ts, web.ts and the iOS/Android plugins), over a
// Map that stands for the keychain and outlives any one adapter, as the device's store outlives the app.

/** Makes the next call of `method` reject with `error`, as a failing Keychain or Keystore would. */
export type FailNext = (method: string, error: unknown) => void;

/** What Capacitor's `registerPlugin` returns: a proxy that answers *every* property with a method. */
export function capacitorProxy<T extends object>(implementation: T): T {
  return new Proxy({} as T, {
    get: (_, prop) => {
      const method = (implementation as Record<PropertyKey, unknown>)[prop];
      // Like Capacitor: also for "then", so awaiting a plugin object never settles.
      return (...args: unknown[]) =>
        typeof method === 'function'
          ? Promise.resolve().then(() => method.apply(implementation, args))
          : Promise.reject(new Error(`"SecureStorage.${String(prop)}()" is not implemented on ios`));
    },
  });
}

class PluginError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** `SecureStorage` of @aparajita/capacitor-secure-storage (before the proxy). */
export function fakeAparajita(keychain = new Map<string, string>()) {
  let prefix = 'capacitor-storage_';
  const failures = new Map<string, unknown>();
  const failIfAsked = (method: string) => {
    if (!failures.has(method)) return;
    const error = failures.get(method);
    failures.delete(method);
    throw error;
  };
  const missingKey = () => new PluginError('No key provided', 'missingKey');
  const plugin = {
    keychain,
    failNext: ((method, error) => void failures.set(method, error)) as FailNext,
    async setKeyPrefix(value: string) {
      prefix = value;
    },
    async getItem(key: string): Promise<string | null> {
      failIfAsked('getItem');
      if (!key) return null;
      return keychain.get(prefix + key) ?? null;
    },
    async setItem(key: string, value: string): Promise<void> {
      failIfAsked('setItem');
      if (!key) throw missingKey();
      if (typeof value !== 'string') throw new PluginError('Invalid data', 'invalidData');
      keychain.set(prefix + key, value);
    },
    async removeItem(key: string): Promise<void> {
      failIfAsked('removeItem');
      if (!key) throw missingKey();
      keychain.delete(prefix + key);
    },
    async keys(): Promise<string[]> {
      failIfAsked('keys');
      return [...keychain.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    },
    // The JSON-encoding pair, present as in the plugin: the adapter must not use it.
    async get(key: string): Promise<unknown> {
      const raw = keychain.get(prefix + key);
      return raw === undefined ? null : JSON.parse(raw);
    },
    async set(key: string, data: unknown): Promise<void> {
      keychain.set(prefix + key, JSON.stringify(data));
    },
  };
  return plugin;
}

/**
 * `SecureStoragePlugin` of capacitor-secure-storage-plugin (before the proxy). `platform: 'web'`
 * rejects a missing key with a bare string, as its web implementation does; native rejects with an
 * Error (a CapacitorException) carrying the same text.
 */
export function fakeSecureStoragePlugin(keychain = new Map<string, string>(), platform: 'native' | 'web' = 'native') {
  const failures = new Map<string, unknown>();
  const failIfAsked = (method: string) => {
    if (!failures.has(method)) return;
    const error = failures.get(method);
    failures.delete(method);
    throw error;
  };
  const doesNotExist = () => (platform === 'web' ? 'Item with given key does not exist' : new Error('Item with given key does not exist'));
  return {
    keychain,
    failNext: ((method, error) => void failures.set(method, error)) as FailNext,
    async get(options: { key: string }): Promise<{ value: string }> {
      failIfAsked('get');
      const value = keychain.get(options.key);
      if (value === undefined) throw doesNotExist();
      return { value };
    },
    async set(options: { key: string; value: string }): Promise<{ value: boolean }> {
      failIfAsked('set');
      // iOS: `call.getString("value") ?? ""`.
      keychain.set(options.key, typeof options.value === 'string' ? options.value : '');
      return { value: true };
    },
    async remove(options: { key: string }): Promise<{ value: boolean }> {
      failIfAsked('remove');
      if (!keychain.has(options.key)) throw doesNotExist();
      keychain.delete(options.key);
      return { value: true };
    },
    async keys(): Promise<{ value: string[] }> {
      failIfAsked('keys');
      return { value: [...keychain.keys()] };
    },
    async clear(): Promise<{ value: boolean }> {
      keychain.clear();
      return { value: true };
    },
    async getPlatform(): Promise<{ value: string }> {
      return { value: platform === 'web' ? 'web' : 'ios' };
    },
  };
}
