// The main-process half of the Electron storage: the renderer half (electron.ts) never imports this
// file, so no Node module reaches a renderer bundle. Electron's objects are passed in and typed
// structurally; node:fs and node:path are the only imports.
// @ts-ignore -- node:fs/promises only resolves where @types/node is loaded (the test build); not @ts-expect-error, which fails there.
import * as nodeFs from 'node:fs/promises';
// @ts-ignore -- as above, for node:path.
import * as nodePath from 'node:path';
import { ConfigError, StorageError } from '../errors/errors.js';
import { storageChannels, type StorageOperation } from './electron-ipc.js';

/** The part of Electron's `IpcMainInvokeEvent` that is checked: the frame that sent the call. */
export interface IpcMainInvokeEventLike {
  /** `null` once the frame has navigated away or been destroyed. */
  readonly senderFrame: { readonly url: string } | null;
}

/** The part of Electron's `ipcMain` the store registers itself with. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** Electron's `safeStorage`, synchronous API (all Electron versions with `safeStorage`). */
export interface SyncSafeStorage {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Uint8Array;
  decryptString(encrypted: Uint8Array): string;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

/** Electron's `safeStorage`, asynchronous API (Electron 42 and later); used when the synchronous one is absent. */
export interface AsyncSafeStorage {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Uint8Array>;
  decryptStringAsync(encrypted: Uint8Array): Promise<{ shouldReEncrypt: boolean; result: string }>;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

/** Options of {@link serveSecureStorage}. */
export interface ServeSecureStorageOptions {
  /** Electron's `ipcMain`. */
  ipcMain: IpcMainLike;
  /** Electron's `safeStorage`. */
  safeStorage: SyncSafeStorage | AsyncSafeStorage;
  /** Absolute path of the store, e.g. `path.join(app.getPath('userData'), 'oidc-session.bin')`. */
  file: string;
  /**
   * The origins whose pages may use the store, e.g. `['app://bundle']` for a custom protocol or
   * `['http://localhost:5173']` for a dev server. Calls from any other frame are refused. Pages on
   * `file:` (or any URL without a host) have no origin to tell them apart and are always refused.
   */
  allowedOrigins: readonly string[];
  /** Only keys that start with this are stored. Default `oidc-session:`, the SDK's own prefix. */
  keyPrefix?: string;
  /** Longest value accepted, in UTF-8 bytes. Default 65,536. */
  maxValueBytes?: number;
  /** Most keys the store holds. Default 256. */
  maxEntries?: number;
  /** Base of the channel names, the same as given to `secureStorageBridge`. Default `oidc-session:secure-storage`. */
  channel?: string;
  /**
   * Accept Linux's `basic_text` backend, where `safeStorage` encrypts with a key hard-coded in
   * Chromium: the file is then as readable as plain text to anyone who can read it. Default `false`.
   */
  allowPlainTextBackend?: boolean;
  /**
   * Told of every failure in the main process: refused calls, a file that could not be written, or
   * one that could not be decrypted and is ignored (the next write replaces it). The renderer
   * only learns that the call failed.
   */
  onError?: (error: unknown) => void;
  /** The platform the `basic_text` check applies to. Default `process.platform`. */
  platform?: string;
}

/** A running store: {@link serveSecureStorage}'s result. */
export interface SecureStorageServer {
  /** Removes the IPC handlers, then resolves once the writes already accepted are on disk. */
  close(): Promise<void>;
}

declare const process: { readonly platform: string };

interface FileHandleLike {
  writeFile(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
const fs: {
  readFile(path: string): Promise<Uint8Array>;
  open(path: string, flags: string, mode: number): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
  mkdir(path: string, options: { recursive: boolean; mode: number }): Promise<unknown>;
} = nodeFs;
const path: { dirname(path: string): string; isAbsolute(path: string): boolean } = nodePath;

const ARITY: Record<StorageOperation, number> = { get: 1, set: 2, remove: 1, keys: 0 };
const MAX_KEY_LENGTH = 1024;
const FORMAT_VERSION = 1;

/**
 * Serves the renderer's `electronSecureStorage` from the main process: values encrypted with
 * Electron's `safeStorage` (Keychain on macOS, DPAPI on Windows, the secret service on Linux) in one
 * file, written atomically with mode 0o600. Call it once, after `app.whenReady()`:
 *
 * ```ts
 * await app.whenReady();
 * await serveSecureStorage({
 *   ipcMain, safeStorage,
 *   file: path.join(app.getPath('userData'), 'oidc-session.bin'),
 *   allowedOrigins: ['app://bundle'],
 * });
 * ```
 *
 * Every call is checked before it touches the store: the sending frame's origin must be in
 * `allowedOrigins`, keys must be strings under `keyPrefix`, values strings within `maxValueBytes`, and
 * the argument count exact. A refused or failed call rejects in the renderer; nothing a renderer sends
 * can throw in the main process outside its own call.
 *
 * @throws {@link ConfigError} for an invalid option; {@link StorageError} when `safeStorage` cannot
 *   encrypt (before `app.whenReady()`, or Linux without a secret service), or on Linux's `basic_text`
 *   backend unless `allowPlainTextBackend` is set.
 */
export async function serveSecureStorage(options: ServeSecureStorageOptions): Promise<SecureStorageServer> {
  const { ipcMain, safeStorage, file, onError } = options;
  const keyPrefix = options.keyPrefix ?? 'oidc-session:';
  const maxValueBytes = options.maxValueBytes ?? 65_536;
  const maxEntries = options.maxEntries ?? 256;
  if (typeof ipcMain?.handle !== 'function' || typeof ipcMain.removeHandler !== 'function') throw new ConfigError('ipcMain', "must be Electron's ipcMain");
  if (typeof file !== 'string' || !path.isAbsolute(file)) throw new ConfigError('file', 'must be an absolute path');
  const allowed = checkOrigins(options.allowedOrigins);
  if (typeof keyPrefix !== 'string' || keyPrefix === '') throw new ConfigError('keyPrefix', 'must be a non-empty string');
  if (!isPositiveInteger(maxValueBytes)) throw new ConfigError('maxValueBytes', 'must be a positive integer');
  if (!isPositiveInteger(maxEntries)) throw new ConfigError('maxEntries', 'must be a positive integer');

  const cipher = cipherOf(safeStorage);
  if (!(await cipher.available())) {
    throw new StorageError('storage_unavailable', 'safeStorage cannot encrypt: serve after app.whenReady(); on Linux, a secret service (GNOME Keyring, KWallet) must be running');
  }
  if ((options.platform ?? process.platform) === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend?.();
    if (backend === 'unknown') throw new StorageError('storage_unavailable', 'safeStorage has no backend yet: serve after app.whenReady()');
    if (backend === 'basic_text' && options.allowPlainTextBackend !== true) {
      throw new StorageError('storage_unavailable', "safeStorage's Linux backend is basic_text, a key hard-coded in Chromium: install a secret service, or set allowPlainTextBackend to accept it");
    }
  }

  // The decrypted entries, read from the file on first use; replaced only after a write succeeded.
  let entries: ReadonlyMap<string, string> | undefined;
  // One operation at a time, in arrival order: a read sees every write accepted before it.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };
  const report = (error: unknown) => {
    try {
      onError?.(error);
    } catch {
      // A throwing reporter must not turn into the caller's error.
    }
  };

  async function persist(next: ReadonlyMap<string, string>): Promise<void> {
    const bytes = await cipher.encrypt(JSON.stringify({ v: FORMAT_VERSION, entries: Object.fromEntries(next) }));
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written beside the file, flushed, then renamed over it: a crash leaves the old file or the new
    // one, never half of either.
    const temp = `${file}.${crypto.randomUUID()}.tmp`;
    try {
      const handle = await fs.open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, file);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  async function load(): Promise<ReadonlyMap<string, string>> {
    if (entries) return entries;
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(file);
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'ENOENT') return (entries = new Map());
      throw error;
    }
    let loaded: Map<string, string>;
    let stale: boolean;
    try {
      const decrypted = await cipher.decrypt(bytes);
      stale = decrypted.stale;
      loaded = parseEntries(decrypted.text, keyPrefix);
    } catch (error) {
      // While encryption is down (a locked keychain, the async API's "temporarily unavailable"), keep
      // the file and let a later call retry. With encryption working, the file is another key's or
      // damaged: start empty, and the next write replaces it (the user signs in again).
      if (isTemporary(error) || !(await cipher.available().catch(() => false))) throw error;
      report(error);
      return (entries = new Map());
    }
    if (stale) await persist(loaded).catch(report);
    return (entries = loaded);
  }

  const refuse = (what: string): never => {
    const error = new StorageError('storage_unavailable', `secure storage refused the call: ${what}`);
    report(error);
    throw error;
  };
  const checkKey = (key: unknown): string =>
    typeof key === 'string' && key.length <= MAX_KEY_LENGTH && key.startsWith(keyPrefix) ? key : refuse(`key must be a string under "${keyPrefix}"`);
  const checkValue = (value: unknown): string =>
    typeof value === 'string' && value.length <= maxValueBytes && new TextEncoder().encode(value).length <= maxValueBytes
      ? value
      : refuse(`value must be a string of at most ${maxValueBytes} bytes`);

  const operations: Record<StorageOperation, (args: unknown[]) => Promise<unknown>> = {
    get: ([key]) => {
      const name = checkKey(key);
      return serial(async () => (await load()).get(name) ?? null);
    },
    set: ([key, value]) => {
      const name = checkKey(key);
      const text = checkValue(value);
      return serial(async () => {
        const current = await load();
        if (current.get(name) === text) return;
        if (!current.has(name) && current.size >= maxEntries) refuse(`the store holds ${maxEntries} keys already`);
        const next = new Map(current).set(name, text);
        await persist(next);
        entries = next;
      });
    },
    remove: ([key]) => {
      const name = checkKey(key);
      return serial(async () => {
        const current = await load();
        if (!current.has(name)) return;
        const next = new Map(current);
        next.delete(name);
        await persist(next);
        entries = next;
      });
    },
    keys: () => serial(async () => [...(await load()).keys()]),
  };

  const channels = storageChannels(options.channel);
  const names = Object.keys(ARITY) as StorageOperation[];
  for (const operation of names) {
    ipcMain.handle(channels[operation], async (event, ...args) => {
      const origin = senderOrigin(event);
      if (origin === undefined || !allowed.has(origin)) refuse(`sender ${origin ?? 'without an origin'} is not allowed`);
      if (args.length !== ARITY[operation]) refuse(`${operation} takes ${ARITY[operation]} arguments`);
      try {
        return await operations[operation](args);
      } catch (error) {
        if (error instanceof StorageError) throw error;
        // File system and encryption errors carry paths and platform details: the renderer gets none.
        report(error);
        throw new StorageError('storage_unavailable', `secure storage could not ${operation}`);
      }
    });
  }

  return {
    close: async () => {
      for (const operation of names) ipcMain.removeHandler(channels[operation]);
      await queue;
    },
  };
}

interface Cipher {
  available(): Promise<boolean>;
  encrypt(text: string): Promise<Uint8Array>;
  decrypt(bytes: Uint8Array): Promise<{ text: string; stale: boolean }>;
}

// The synchronous API when it is there (it reads every file written so far); the asynchronous one
// otherwise, which also reads what the synchronous one wrote.
function cipherOf(safeStorage: SyncSafeStorage | AsyncSafeStorage): Cipher {
  if ('encryptString' in safeStorage && typeof safeStorage.encryptString === 'function') {
    return {
      available: async () => safeStorage.isEncryptionAvailable(),
      encrypt: async (text) => safeStorage.encryptString(text),
      decrypt: async (bytes) => ({ text: safeStorage.decryptString(bytes), stale: false }),
    };
  }
  const s = safeStorage as AsyncSafeStorage;
  if (typeof s.encryptStringAsync !== 'function') throw new ConfigError('safeStorage', "must be Electron's safeStorage");
  return {
    available: () => s.isAsyncEncryptionAvailable(),
    encrypt: (text) => s.encryptStringAsync(text),
    // shouldReEncrypt: the key was rotated; the store writes the file again with the new one.
    decrypt: async (bytes) => {
      const { result, shouldReEncrypt } = await s.decryptStringAsync(bytes);
      return { text: result, stale: shouldReEncrypt };
    },
  };
}

function parseEntries(text: string, keyPrefix: string): Map<string, string> {
  const parsed = JSON.parse(text) as { v?: unknown; entries?: unknown } | null;
  if (parsed?.v !== FORMAT_VERSION || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error('not a secure storage file');
  const found = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed.entries)) {
    if (!key.startsWith(keyPrefix) || typeof value !== 'string') throw new Error('not a secure storage file');
    found.set(key, value);
  }
  return found;
}

/**
 * The origin of a URL with a host (`https://app.example`, `app://bundle`), host in lower case; none for
 * `file:`, `about:`, `data:` and other URLs without one. Node's URL gives custom schemes the origin
 * "null", so it is built here rather than read from `url.origin`.
 */
function originOf(href: string): string | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  return url.host === '' ? undefined : `${url.protocol}//${url.host.toLowerCase()}`;
}

function senderOrigin(event: IpcMainInvokeEventLike): string | undefined {
  const frame = event?.senderFrame;
  return frame && typeof frame.url === 'string' ? originOf(frame.url) : undefined;
}

function checkOrigins(origins: unknown): ReadonlySet<string> {
  if (!Array.isArray(origins) || origins.length === 0) throw new ConfigError('allowedOrigins', 'must list at least one origin');
  for (const origin of origins) {
    if (typeof origin !== 'string' || originOf(origin) !== origin) {
      throw new ConfigError('allowedOrigins', `${JSON.stringify(origin)} is not an origin (scheme://host[:port] in lower case, no path), e.g. app://bundle`);
    }
  }
  return new Set(origins as string[]);
}

// Electron's own wording for an asynchronous decryption to try again later.
const isTemporary = (error: unknown) => /temporarily unavailable/i.test(String((error as { message?: unknown } | null)?.message));

const isPositiveInteger = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value > 0;
