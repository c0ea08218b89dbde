import { describe, expect, it } from 'vitest';
import { capacitorSecureStorage } from '../../src/native/capacitor.js';
import { capacitorProxy, fakeAparajita, fakeSecureStoragePlugin } from './fake-capacitor.js';
import { expectLoginToSurviveRestart, itKeepsTheAdapterContract } from './contract.js';

describe('capacitorSecureStorage() over @aparajita/capacitor-secure-storage', () => {
  itKeepsTheAdapterContract(() => capacitorSecureStorage(capacitorProxy(fakeAparajita())));
  itKeepsTheAdapterContract(() => capacitorSecureStorage(capacitorProxy(fakeAparajita()), { prefix: 'app-auth/' }));

  it('stores the raw string through setItem, not the JSON-encoding set', async () => {
    const plugin = fakeAparajita();
    const adapter = capacitorSecureStorage(capacitorProxy(plugin));
    await adapter.set('oidc-session:k', '"2026-11-27T12:00:00.000Z"');
    expect(plugin.keychain.get('capacitor-storage_oidc-session:k')).toBe('"2026-11-27T12:00:00.000Z"');
    // The plugin's own get() JSON-decodes (the real one then makes a Date of this): not what the SDK stored.
    expect(await plugin.get('oidc-session:k')).toBe('2026-11-27T12:00:00.000Z');
  });

  it('keeps its keys under the prefix and lists only those, without the prefix', async () => {
    const plugin = fakeAparajita();
    await plugin.setItem('app-setting', 'the app’s own');
    const adapter = capacitorSecureStorage(capacitorProxy(plugin), { prefix: 'auth/' });
    await adapter.set('oidc-session:k', 'v');
    expect(await plugin.keys()).toEqual(['app-setting', 'auth/oidc-session:k']);
    expect(await adapter.keys()).toEqual(['oidc-session:k']);
    expect(await adapter.get('app-setting')).toBeUndefined();
  });

  it('passes every plugin failure on', async () => {
    const plugin = fakeAparajita();
    const adapter = capacitorSecureStorage(capacitorProxy(plugin));
    const osError = Object.assign(new Error('errSecInteractionNotAllowed'), { code: 'osError' });
    for (const [method, call] of [
      ['getItem', () => adapter.get('k')],
      ['setItem', () => adapter.set('k', 'v')],
      ['removeItem', () => adapter.remove('k')],
      ['keys', () => adapter.keys()],
    ] as const) {
      plugin.failNext(method, osError);
      await expect(call()).rejects.toBe(osError);
    }
  });

  it('refuses a non-string value rather than storing something else', async () => {
    const adapter = capacitorSecureStorage(capacitorProxy(fakeAparajita()));
    expect(() => adapter.set('k', 42 as unknown as string)).toThrow(TypeError);
  });

  it('carries a login across an app restart, session and pending login in the plugin', async () => {
    const keychain = new Map<string, string>();
    await expectLoginToSurviveRestart(
      () => capacitorSecureStorage(capacitorProxy(fakeAparajita(keychain))),
      () => fakeAparajita(keychain).keys(),
    );
  });
});

describe('capacitorSecureStorage() types', () => {
  it('takes each plugin as it declares itself, and needs api for capacitor-secure-storage-plugin', () => {
    // As declared in @aparajita/capacitor-secure-storage 8.0 (src/definitions.ts), the methods used and one not.
    interface DeclaredSecureStorage {
      getItem: (key: string) => Promise<string | null>;
      setItem: (key: string, value: string) => Promise<void>;
      removeItem: (key: string) => Promise<void>;
      keys: (sync?: boolean) => Promise<string[]>;
      get: (key: string, convertDate?: boolean, sync?: boolean) => Promise<unknown>;
    }
    // As declared in capacitor-secure-storage-plugin 0.12 (src/definitions.ts).
    interface DeclaredSecureStoragePlugin {
      get(options: { key: string }): Promise<{ value: string }>;
      set(options: { key: string; value: string }): Promise<{ value: boolean }>;
      remove(options: { key: string }): Promise<{ value: boolean }>;
      clear(): Promise<{ value: boolean }>;
      keys(): Promise<{ value: string[] }>;
      getPlatform(): Promise<{ value: string }>;
    }
    const secureStorage = capacitorProxy(fakeAparajita()) as unknown as DeclaredSecureStorage;
    const secureStoragePlugin = capacitorProxy(fakeSecureStoragePlugin()) as unknown as DeclaredSecureStoragePlugin;
    expect(capacitorSecureStorage(secureStorage)).toBeDefined();
    expect(capacitorSecureStorage(secureStoragePlugin, { api: 'capacitor-secure-storage-plugin' })).toBeDefined();
    // @ts-expect-error -- without api it would be driven as @aparajita's plugin
    expect(capacitorSecureStorage(secureStoragePlugin)).toBeDefined();
  });
});

describe('capacitorSecureStorage() over capacitor-secure-storage-plugin', () => {
  const api = 'capacitor-secure-storage-plugin' as const;
  itKeepsTheAdapterContract(() => capacitorSecureStorage(capacitorProxy(fakeSecureStoragePlugin()), { api }));
  itKeepsTheAdapterContract(() => capacitorSecureStorage(capacitorProxy(fakeSecureStoragePlugin(new Map(), 'web')), { api, prefix: 'auth/' }));

  it('reads a missing key as absent although the plugin rejects, with an Error or a bare string', async () => {
    for (const platform of ['native', 'web'] as const) {
      const plugin = fakeSecureStoragePlugin(new Map(), platform);
      await expect(plugin.get({ key: 'k' })).rejects.toBeDefined();
      const adapter = capacitorSecureStorage(capacitorProxy(plugin), { api });
      expect(await adapter.get('k')).toBeUndefined();
      await expect(adapter.remove('k')).resolves.toBeUndefined();
    }
  });

  it('passes on a failure for a key that exists, and any failure to set or list', async () => {
    const plugin = fakeSecureStoragePlugin();
    const adapter = capacitorSecureStorage(capacitorProxy(plugin), { api });
    await adapter.set('k', 'v');
    const keystore = new Error('KeyStore exception: key invalidated');
    plugin.failNext('get', keystore);
    await expect(adapter.get('k')).rejects.toBe(keystore);
    plugin.failNext('remove', keystore);
    await expect(adapter.remove('k')).rejects.toBe(keystore);
    plugin.failNext('set', keystore);
    await expect(adapter.set('k', 'w')).rejects.toBe(keystore);
    plugin.failNext('keys', keystore);
    await expect(adapter.keys()).rejects.toBe(keystore);
    // A missing key whose check itself fails is a failure, not an absent value.
    plugin.failNext('get', new Error('Item with given key does not exist'));
    plugin.failNext('keys', keystore);
    await expect(adapter.get('other')).rejects.toBe(keystore);
    expect(await adapter.get('k')).toBe('v');
  });

  it('carries a login across an app restart, session and pending login in the plugin', async () => {
    const keychain = new Map<string, string>();
    await expectLoginToSurviveRestart(
      () => capacitorSecureStorage(capacitorProxy(fakeSecureStoragePlugin(keychain)), { api }),
      async () => [...keychain.keys()],
    );
  });
});
