import type { StorageAdapter } from '../platform/storage.js';
import { storageChannels } from './electron-ipc.js';

export { DEFAULT_STORAGE_CHANNEL } from './electron-ipc.js';

/**
 * What the app's preload script exposes to the page (`contextBridge.exposeInMainWorld`): four calls
 * over `ipcRenderer.invoke` to the store that `serveSecureStorage` runs in the main process. Build it
 * with {@link secureStorageBridge}.
 */
export interface SecureStorageBridge {
  /** The value, or `null` when the key is absent. */
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** The part of Electron's `ipcRenderer` the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
}

/** Options of {@link secureStorageBridge}. */
export interface SecureStorageBridgeOptions {
  /** Base of the channel names; the same as given to `serveSecureStorage`. Default `oidc-session:secure-storage`. */
  channel?: string;
}

/**
 * Storage for the renderer of an Electron app: every call goes to the main process, which keeps the
 * values encrypted with `safeStorage` in one file. The session and pending logins survive the app
 * being quit or killed during a login, and every window of the app shares them.
 *
 * ```ts
 * new AuthClient({ ...options, storage: electronSecureStorage(window.oidcStorage) });
 * ```
 *
 * Failures of the main process (an origin it refuses, encryption unavailable, a full disk) reject, and
 * the SDK reports them as a `StorageError`.
 */
export function electronSecureStorage(bridge: SecureStorageBridge): StorageAdapter {
  // Wrapped, not passed through: the bridge object would otherwise decide perTab and friends.
  return {
    get: (key) => bridge.get(key),
    set: (key, value) => bridge.set(key, value),
    remove: (key) => bridge.remove(key),
    keys: () => bridge.keys(),
  };
}

/**
 * The bridge for a preload script that is bundled (a sandboxed preload can `require` nothing but
 * `electron` and a few Node modules):
 *
 * ```ts
 * import { contextBridge, ipcRenderer } from 'electron';
 * contextBridge.exposeInMainWorld('oidcStorage', secureStorageBridge(ipcRenderer));
 * ```
 *
 * Each function forwards exactly its own arguments on a fixed channel: the page never gets
 * `ipcRenderer` itself, nor a way to name another channel.
 */
export function secureStorageBridge(ipcRenderer: IpcRendererLike, options: SecureStorageBridgeOptions = {}): SecureStorageBridge {
  const channel = storageChannels(options.channel);
  return {
    get: (key) => ipcRenderer.invoke(channel.get, key) as Promise<string | null>,
    set: async (key, value) => void (await ipcRenderer.invoke(channel.set, key, value)),
    remove: async (key) => void (await ipcRenderer.invoke(channel.remove, key)),
    keys: () => ipcRenderer.invoke(channel.keys) as Promise<string[]>,
  };
}
