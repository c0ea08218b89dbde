// What the renderer and main halves of the Electron storage agree on. No Node or Electron import: the
// renderer half and the preload bundle it too.

/** The default base of the IPC channel names; each operation adds `:get`, `:set`, `:remove` or `:keys`. */
export const DEFAULT_STORAGE_CHANNEL = 'oidc-session:secure-storage';

/** The four operations, one `ipcMain.handle` channel each. */
export type StorageOperation = 'get' | 'set' | 'remove' | 'keys';

/** The channel name of each operation under `base`. */
export function storageChannels(base: string = DEFAULT_STORAGE_CHANNEL): Readonly<Record<StorageOperation, string>> {
  return { get: `${base}:get`, set: `${base}:set`, remove: `${base}:remove`, keys: `${base}:keys` };
}
