// Fakes of Electron's ipcMain, ipcRenderer and safeStorage with the real API's names and shapes: IPC
// arguments and results are structured-cloned, a handler's error reaches the renderer as Electron
// words it, and safeStorage "encrypts" reversibly behind a v10 prefix as Chromium's OSCrypt does.

type Listener = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => unknown;

/** `ipcMain`, plus `invokeFrom` playing a renderer frame at `url` (`null`: a frame already gone). */
export function fakeIpcMain() {
  const handlers = new Map<string, Listener>();
  const ipcMain = {
    handlers,
    handle(channel: string, listener: Listener) {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler(channel: string) {
      handlers.delete(channel);
    },
    async invokeFrom(url: string | null, channel: string, ...args: unknown[]): Promise<unknown> {
      const listener = handlers.get(channel);
      if (!listener) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
      const event = { senderFrame: url === null ? null : { url } };
      try {
        return structuredClone(await listener(event, ...structuredClone(args)));
      } catch (error) {
        throw new Error(`Error invoking remote method '${channel}': ${String(error)}`);
      }
    },
    /** `ipcRenderer` of a frame at `url`. */
    rendererAt(url: string | null) {
      return { invoke: (channel: string, ...args: unknown[]) => ipcMain.invokeFrom(url, channel, ...args) };
    },
  };
  return ipcMain;
}

export interface FakeSafeStorageState {
  available: boolean;
  backend: string;
  /** Stands for the OS key: another value is another machine or a reset keychain. */
  key: number;
}

const PREFIX = Buffer.from('v10');
const xor = (bytes: Buffer, key: number) => Buffer.from(bytes.map((b, i) => b ^ ((key + i * 31) & 0xff)));

/** `safeStorage`, synchronous API. */
export function fakeSafeStorage(initial: Partial<FakeSafeStorageState> = {}) {
  const state: FakeSafeStorageState = { available: true, backend: 'gnome_libsecret', key: 0x5a, ...initial };
  return {
    state,
    isEncryptionAvailable: () => state.available,
    encryptString(plainText: string): Buffer {
      if (!state.available) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
      return Buffer.concat([PREFIX, xor(Buffer.from(plainText, 'utf8'), state.key)]);
    },
    decryptString(encrypted: Buffer): string {
      if (!state.available) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString. Decryption is not available.');
      if (!Buffer.isBuffer(encrypted)) throw new Error('Expected the first argument of decryptString() to be a buffer');
      if (!encrypted.subarray(0, 3).equals(PREFIX)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString. Ciphertext does not appear to be encrypted.');
      return xor(encrypted.subarray(3), state.key).toString('utf8');
    },
    getSelectedStorageBackend: () => state.backend,
  };
}

/** `safeStorage` as the asynchronous API alone would leave it (no synchronous methods). */
export function fakeAsyncSafeStorage(initial: Partial<FakeSafeStorageState> & { reEncrypt?: boolean } = {}) {
  const sync = fakeSafeStorage(initial);
  let reEncrypt = initial.reEncrypt ?? false;
  return {
    state: sync.state,
    isAsyncEncryptionAvailable: async () => sync.state.available,
    encryptStringAsync: async (plainText: string) => sync.encryptString(plainText),
    decryptStringAsync: async (encrypted: Buffer) => {
      const result = sync.decryptString(encrypted);
      const shouldReEncrypt = reEncrypt;
      reEncrypt = false;
      return { shouldReEncrypt, result };
    },
    getSelectedStorageBackend: sync.getSelectedStorageBackend,
  };
}
