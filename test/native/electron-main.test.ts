import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { ConfigError, StorageError } from '../../src/index.js';
import { serveSecureStorage, type ServeSecureStorageOptions } from '../../src/native/electron-main.js';
import { fakeAsyncSafeStorage, fakeIpcMain, fakeSafeStorage } from './fake-electron.js';

// The real file system, with its calls recorded and one of them made to fail on demand.
const fsLog: string[] = [];
let failRename: Error | undefined;
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    open: async (path: string, flags: string, mode: number) => {
      fsLog.push(`open ${path} ${flags} ${mode.toString(8)}`);
      return actual.open(path, flags, mode);
    },
    rename: async (from: string, to: string) => {
      fsLog.push(`rename ${from} ${to}`);
      if (failRename) throw failRename;
      return actual.rename(from, to);
    },
  };
});

beforeEach(() => {
  fsLog.length = 0;
  failRename = undefined;
});

const APP = 'app://bundle/index.html';
const channel = (op: string) => `oidc-session:secure-storage:${op}`;

async function tempDir() {
  const dir = await realFs.mkdtemp(join(tmpdir(), 'oidc-electron-main-'));
  onTestFinished(() => realFs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(overrides: Partial<ServeSecureStorageOptions> = {}) {
  const dir = await tempDir();
  const ipcMain = fakeIpcMain();
  const safeStorage = fakeSafeStorage();
  const errors: unknown[] = [];
  const options: ServeSecureStorageOptions = {
    ipcMain,
    safeStorage,
    file: join(dir, 'store.bin'),
    allowedOrigins: ['app://bundle'],
    platform: 'linux',
    onError: (error) => void errors.push(error),
    ...overrides,
  };
  const server = await serveSecureStorage(options);
  onTestFinished(() => server.close());
  const call = (op: string, ...args: unknown[]) => ipcMain.invokeFrom(APP, channel(op), ...args);
  return { dir, file: options.file, ipcMain, safeStorage, errors, server, call, options };
}

describe('serveSecureStorage(): who may call', () => {
  it.each([
    ['a foreign origin', 'https://evil.test/'],
    ['another custom-scheme host', 'app://other/index.html'],
    ['the right host on another scheme', 'http://bundle/'],
    ['a file: page', 'file:///Applications/App.app/index.html'],
    ['about:blank', 'about:blank'],
    ['a frame that is gone', null],
  ])('refuses %s, before reading or writing anything', async (_, url) => {
    const { ipcMain, call, errors } = await serve();
    await call('set', 'oidc-session:k', 'mine');
    for (const op of ['get', 'keys', 'remove']) {
      await expect(ipcMain.invokeFrom(url, channel(op), ...(op === 'keys' ? [] : ['oidc-session:k']))).rejects.toThrow(/refused the call: sender .* is not allowed/);
    }
    await expect(ipcMain.invokeFrom(url, channel('set'), 'oidc-session:k', 'theirs')).rejects.toThrow(/not allowed/);
    expect(await call('get', 'oidc-session:k')).toBe('mine');
    expect(errors).toHaveLength(4);
  });

  it('accepts every page of an allowed origin, any path, host in any case', async () => {
    const { ipcMain, call } = await serve({ allowedOrigins: ['app://bundle', 'http://localhost:5173'] });
    await call('set', 'oidc-session:k', 'v');
    expect(await ipcMain.invokeFrom('app://BUNDLE/deep/page.html?x#y', channel('get'), 'oidc-session:k')).toBe('v');
    expect(await ipcMain.invokeFrom('http://localhost:5173/', channel('get'), 'oidc-session:k')).toBe('v');
  });
});

describe('serveSecureStorage(): what may be stored', () => {
  it.each([
    ['a number as key', ['set', 42, 'v']],
    ['an object as key', ['get', { key: 'oidc-session:k' }]],
    ['a key outside the prefix', ['set', 'app:settings', 'v']],
    ['a key that only contains the prefix', ['set', 'x-oidc-session:k', 'v']],
    ['a huge key', ['set', `oidc-session:${'k'.repeat(2000)}`, 'v']],
    ['a number as value', ['set', 'oidc-session:k', 42]],
    ['a Buffer as value', ['set', 'oidc-session:k', Buffer.from('v')]],
    ['a missing value', ['set', 'oidc-session:k']],
    ['an extra argument', ['get', 'oidc-session:k', 'more']],
    ['an argument to keys', ['keys', 'oidc-session:']],
  ])('refuses %s', async (_, [op, ...args]) => {
    const { call, file } = await serve();
    await expect(call(op as string, ...args)).rejects.toThrow(/refused the call/);
    await expect(realFs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a value over maxValueBytes, counted in UTF-8 bytes', async () => {
    const { call } = await serve({ maxValueBytes: 8 });
    await call('set', 'oidc-session:a', '12345678');
    await expect(call('set', 'oidc-session:b', '123456789')).rejects.toThrow(/at most 8 bytes/);
    await expect(call('set', 'oidc-session:c', 'ééééé')).rejects.toThrow(/at most 8 bytes/);
  });

  it('refuses a new key beyond maxEntries, but still replaces and removes', async () => {
    const { call } = await serve({ maxEntries: 2 });
    await call('set', 'oidc-session:a', '1');
    await call('set', 'oidc-session:b', '2');
    await expect(call('set', 'oidc-session:c', '3')).rejects.toThrow(/holds 2 keys already/);
    await call('set', 'oidc-session:a', 'one');
    await call('remove', 'oidc-session:b');
    await call('set', 'oidc-session:c', '3');
    expect(await call('keys')).toEqual(['oidc-session:a', 'oidc-session:c']);
  });

  it('answers a flood of hostile calls one by one, and keeps serving', async () => {
    const { call, ipcMain } = await serve();
    const hostile = [[], [null], [undefined], [Symbol.iterator.toString()], [['oidc-session:k']], [new Map()]];
    const results = await Promise.allSettled(hostile.flatMap((args) => ['get', 'set', 'remove', 'keys'].map((op) => ipcMain.invokeFrom(APP, channel(op), ...args))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1); // keys() with no argument
    await call('set', 'oidc-session:k', 'v');
    expect(await call('get', 'oidc-session:k')).toBe('v');
  });
});

describe('serveSecureStorage(): the file', () => {
  it('writes a temp file beside it with mode 0o600, flushes, and renames it into place', async () => {
    const { call, file, dir } = await serve();
    await call('set', 'oidc-session:v1:spa:session', '{"refreshToken":"rt-secret-value"}');
    expect(fsLog).toHaveLength(2);
    const [opened, renamed] = fsLog as [string, string];
    const temp = /^open (\S+) wx 600$/.exec(opened)?.[1];
    expect(temp?.startsWith(`${file}.`)).toBe(true);
    expect(renamed).toBe(`rename ${temp} ${file}`);
    expect((await realFs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await realFs.readdir(dir)).toEqual(['store.bin']);
  });

  it('holds neither the values nor the keys in plain text', async () => {
    const { call, file } = await serve();
    await call('set', 'oidc-session:v1:spa:session', '{"refreshToken":"rt-secret-value"}');
    const bytes = await realFs.readFile(file);
    expect(bytes.subarray(0, 3).toString()).toBe('v10');
    for (const text of ['rt-secret-value', 'refreshToken', 'oidc-session']) expect(bytes.includes(text)).toBe(false);
  });

  it('keeps the previous file whole when a write fails, and removes the temp file', async () => {
    const { call, file, dir, errors } = await serve();
    await call('set', 'oidc-session:k', 'first');
    const before = await realFs.readFile(file);
    failRename = Object.assign(new Error(`EPERM: operation not permitted, rename '${file}'`), { code: 'EPERM' });
    const error = await call('set', 'oidc-session:k', 'second').catch((e: Error) => e);
    // The renderer learns the call failed, not the path.
    expect(String(error)).toMatch(/secure storage could not set/);
    expect(String(error)).not.toContain(dir);
    expect(errors).toEqual([failRename]);
    expect(await realFs.readFile(file)).toEqual(before);
    expect(await realFs.readdir(dir)).toEqual(['store.bin']);
    // Nothing half-applied in memory either.
    expect(await call('get', 'oidc-session:k')).toBe('first');
  });

  it('is read back by the next run of the app, and written once per change', async () => {
    const first = await serve();
    await first.call('set', 'oidc-session:a', '1');
    await first.call('set', 'oidc-session:a', '1');
    await first.call('remove', 'oidc-session:missing');
    expect(fsLog.filter((l) => l.startsWith('rename'))).toHaveLength(1);
    await first.server.close();
    const ipcMain = fakeIpcMain();
    const again = await serveSecureStorage({ ...first.options, ipcMain });
    onTestFinished(() => again.close());
    expect(await ipcMain.invokeFrom(APP, channel('get'), 'oidc-session:a')).toBe('1');
  });

  it('ignores a file it cannot decrypt (another machine’s key), starts empty, and replaces it', async () => {
    const first = await serve();
    await first.call('set', 'oidc-session:a', '1');
    await first.server.close();
    const ipcMain = fakeIpcMain();
    const errors: unknown[] = [];
    const other = await serveSecureStorage({ ...first.options, ipcMain, safeStorage: fakeSafeStorage({ key: 0x33 }), onError: (e) => void errors.push(e) });
    onTestFinished(() => other.close());
    expect(await ipcMain.invokeFrom(APP, channel('get'), 'oidc-session:a')).toBeNull();
    expect(errors).toHaveLength(1);
    await ipcMain.invokeFrom(APP, channel('set'), 'oidc-session:b', '2');
    expect(await ipcMain.invokeFrom(APP, channel('keys'))).toEqual(['oidc-session:b']);
  });

  it('keeps the file while encryption is down, and reads it once it is back', async () => {
    const first = await serve();
    await first.call('set', 'oidc-session:a', '1');
    await first.server.close();
    const ipcMain = fakeIpcMain();
    const safeStorage = fakeSafeStorage();
    const again = await serveSecureStorage({ ...first.options, ipcMain, safeStorage });
    onTestFinished(() => again.close());
    safeStorage.state.available = false; // the keychain locked after start
    await expect(ipcMain.invokeFrom(APP, channel('get'), 'oidc-session:a')).rejects.toThrow(/could not get/);
    safeStorage.state.available = true;
    expect(await ipcMain.invokeFrom(APP, channel('get'), 'oidc-session:a')).toBe('1');
  });
});

describe('serveSecureStorage(): when it refuses to start', () => {
  it('refuses when safeStorage cannot encrypt, registering nothing', async () => {
    const ipcMain = fakeIpcMain();
    const error = await serve({ ipcMain, safeStorage: fakeSafeStorage({ available: false }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'storage_unavailable', message: expect.stringMatching(/cannot encrypt: serve after app.whenReady\(\)/) });
    expect(ipcMain.handlers.size).toBe(0);
  });

  it("refuses Linux's basic_text backend unless allowPlainTextBackend is set", async () => {
    const ipcMain = fakeIpcMain();
    await expect(serve({ ipcMain, safeStorage: fakeSafeStorage({ backend: 'basic_text' }) })).rejects.toThrow(/basic_text.*allowPlainTextBackend/);
    expect(ipcMain.handlers.size).toBe(0);
    await expect(serve({ safeStorage: fakeSafeStorage({ backend: 'unknown' }) })).rejects.toThrow(/after app.whenReady/);
    const { call } = await serve({ safeStorage: fakeSafeStorage({ backend: 'basic_text' }), allowPlainTextBackend: true });
    await call('set', 'oidc-session:k', 'v');
    // The backend is a Linux matter: elsewhere the method is absent or irrelevant.
    await expect(serve({ safeStorage: fakeSafeStorage({ backend: 'basic_text' }), platform: 'darwin' })).resolves.toBeDefined();
  });

  it.each([
    ['file', { file: 'relative/store.bin' }],
    ['allowedOrigins', { allowedOrigins: [] }],
    ['allowedOrigins', { allowedOrigins: ['app://bundle/'] }],
    ['allowedOrigins', { allowedOrigins: ['https://app.example:443'] }],
    ['allowedOrigins', { allowedOrigins: ['App://Bundle'] }],
    ['allowedOrigins', { allowedOrigins: ['file://'] }],
    ['allowedOrigins', { allowedOrigins: ['*'] }],
    ['keyPrefix', { keyPrefix: '' }],
    ['maxValueBytes', { maxValueBytes: 0 }],
    ['maxEntries', { maxEntries: 1.5 }],
  ])('refuses an invalid %s', async (option, overrides) => {
    const error = await serve(overrides as Partial<ServeSecureStorageOptions>).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option });
  });

  it('refuses a second store on the same channels, as ipcMain.handle does', async () => {
    const { ipcMain, options } = await serve();
    await expect(serveSecureStorage({ ...options, ipcMain })).rejects.toThrow(/second handler/);
  });
});

describe('serveSecureStorage() with the asynchronous safeStorage API', () => {
  it('encrypts, reads back, and rewrites the file when the key was rotated', async () => {
    const first = await serve({ safeStorage: fakeAsyncSafeStorage() });
    await first.call('set', 'oidc-session:a', '1');
    await first.server.close();
    fsLog.length = 0;
    const ipcMain = fakeIpcMain();
    const again = await serveSecureStorage({ ...first.options, ipcMain, safeStorage: fakeAsyncSafeStorage({ reEncrypt: true }) });
    onTestFinished(() => again.close());
    expect(await ipcMain.invokeFrom(APP, channel('get'), 'oidc-session:a')).toBe('1');
    expect(fsLog.filter((l) => l.startsWith('rename'))).toHaveLength(1);
    await expect(serve({ safeStorage: fakeAsyncSafeStorage({ available: false }) })).rejects.toThrow(/cannot encrypt/);
  });
});

describe('serveSecureStorage() types', () => {
  it("takes Electron's ipcMain and safeStorage as Electron declares them", async () => {
    // As in electron.d.ts: the members used, with Electron's own parameter and return types.
    interface WebFrameMain { readonly url: string; readonly origin: string; isDestroyed(): boolean }
    interface IpcMainInvokeEvent { processId: number; frameId: number; readonly senderFrame: WebFrameMain | null }
    interface IpcMain {
      handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => Promise<any> | any): void;
      removeHandler(channel: string): void;
    }
    interface SafeStorage {
      decryptString(encrypted: Buffer): string;
      encryptString(plainText: string): Buffer;
      getSelectedStorageBackend(): 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown';
      isEncryptionAvailable(): boolean;
      setUsePlainTextEncryption(usePlainText: boolean): void;
      decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }>;
      encryptStringAsync(plainText: string): Promise<Buffer>;
      isAsyncEncryptionAvailable(): Promise<boolean>;
    }
    const ipcMain = fakeIpcMain() as unknown as IpcMain;
    const safeStorage = { ...fakeSafeStorage(), ...fakeAsyncSafeStorage(), setUsePlainTextEncryption: () => undefined } as SafeStorage;
    const server = await serveSecureStorage({ ipcMain, safeStorage, file: join(await tempDir(), 's.bin'), allowedOrigins: ['app://bundle'] });
    await server.close();
  });
});
