// Red team: the Electron main-process store (serveSecureStorage) under a renderer that is not the app's,
// keys named after Object.prototype, bursts of concurrent writes, and a planted symlink where the store
// writes. Real files in a temp directory; Electron's ipcMain and safeStorage are the suite's fakes.
import * as realFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { serveSecureStorage, type ServeSecureStorageOptions } from '../../src/native/electron-main.js';
import { fakeIpcMain, fakeSafeStorage } from './fake-electron.js';

const APP = 'app://bundle/index.html';
const channel = (op: string) => `oidc-session:secure-storage:${op}`;

afterEach(() => {
  vi.restoreAllMocks();
});

async function serve(overrides: Partial<ServeSecureStorageOptions> = {}, dir?: string) {
  const where = dir ?? (await realFs.mkdtemp(join(tmpdir(), 'oidc-red-electron-')));
  if (!dir) onTestFinished(() => realFs.rm(where, { recursive: true, force: true }));
  const ipcMain = fakeIpcMain();
  const errors: unknown[] = [];
  const options: ServeSecureStorageOptions = {
    ipcMain,
    safeStorage: fakeSafeStorage(),
    file: join(where, 'store.bin'),
    allowedOrigins: ['app://bundle', 'http://localhost:5173'],
    platform: 'linux',
    onError: (error) => void errors.push(error),
    ...overrides,
  };
  const server = await serveSecureStorage(options);
  onTestFinished(() => server.close());
  const call = (op: string, ...args: unknown[]) => ipcMain.invokeFrom(APP, channel(op), ...args);
  return { dir: where, file: options.file, ipcMain, errors, server, call, options };
}

/** The same store as the next run of the app reads it: a new ipcMain, the same file and key. */
async function nextRun(first: Awaited<ReturnType<typeof serve>>) {
  await first.server.close();
  const { ipcMain: _ipcMain, onError: _onError, ...same } = first.options;
  return serve(same, first.dir);
}

describe('a frame that only looks like the app', () => {
  it.each([
    ['userinfo that spells the app', 'app://bundle@evil.test/'],
    ['the app as a subdomain', 'app://bundle.evil.test/'],
    ['the app with a trailing dot', 'app://bundle./'],
    ['the app with a port', 'app://bundle:1/'],
    ['the app in the fragment', 'app://evil.test/#@bundle'],
    ['an encoded host', 'app://bund%6Ce/'],
    ['a blob: of the app (no host of its own)', 'blob:app://bundle/0f6c'],
    ['a data: frame', 'data:text/html,<script>1</script>'],
    ['about:srcdoc', 'about:srcdoc'],
    ['the dev server as userinfo', 'http://localhost:5173@evil.test/'],
    ['the dev server as a subdomain', 'http://localhost.evil.test:5173/'],
    ['the dev server on another port', 'http://localhost:5174/'],
    ['the dev server over https', 'https://localhost:5173/'],
    ['an IPv4 form of localhost', 'http://127.0.0.1:5173/'],
    ['not a URL', 'app//bundle'],
    ['an empty URL', ''],
  ])('%s (%s) is refused', async (_, url) => {
    const { ipcMain, call } = await serve();
    await call('set', 'oidc-session:k', 'mine');
    await expect(ipcMain.invokeFrom(url, channel('get'), 'oidc-session:k')).rejects.toThrow(/not allowed/);
    await expect(ipcMain.invokeFrom(url, channel('set'), 'oidc-session:k', 'theirs')).rejects.toThrow(/not allowed/);
    expect(await call('get', 'oidc-session:k')).toBe('mine');
  });

  it('a frame whose URL is not a string, or a sender with no frame object at all, is refused', async () => {
    const { ipcMain } = await serve();
    const handler = ipcMain.handlers.get(channel('keys'))!;
    for (const event of [{ senderFrame: { url: 42 } }, { senderFrame: { url: { toString: () => APP } } }, {}, null, undefined]) {
      await expect(Promise.resolve().then(() => handler(event as never))).rejects.toThrow(/not allowed/);
    }
  });

  it('the same origin written differently (scheme or host case, a default port) is the app', async () => {
    const { ipcMain, call } = await serve();
    await call('set', 'oidc-session:k', 'v');
    for (const url of ['APP://bundle/x', 'app://BUNDLE/', 'http://LOCALHOST:5173/a', 'http://localhost:05173/']) {
      expect(await ipcMain.invokeFrom(url, channel('get'), 'oidc-session:k'), url).toBe('v');
    }
  });
});

describe('keys named after Object.prototype', () => {
  it('are plain entries: absent until set, stored and read back by the next run, nothing polluted', async () => {
    const first = await serve();
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(await first.call('get', `oidc-session:${name}`)).toBeNull();
    }
    await first.call('set', 'oidc-session:__proto__', '{"polluted":true}');
    await first.call('set', 'oidc-session:constructor', 'c');
    const again = await nextRun(first);
    expect(await again.call('get', 'oidc-session:__proto__')).toBe('{"polluted":true}');
    expect(await again.call('get', 'oidc-session:constructor')).toBe('c');
    expect(await again.call('get', 'oidc-session:toString')).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('with a key prefix that lets "__proto__" itself through, the file still round-trips it as data', async () => {
    const first = await serve({ keyPrefix: '__' });
    await first.call('set', '__proto__', 'p');
    await first.call('set', '__defineGetter__', 'g');
    const again = await nextRun(first);
    expect((await again.call('keys')) as string[]).toEqual(['__proto__', '__defineGetter__']);
    expect(await again.call('get', '__proto__')).toBe('p');
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});

describe('values', () => {
  it('lone surrogates and control characters survive the file (JSON escapes them before safeStorage sees UTF-8)', async () => {
    const first = await serve();
    const odd = `\uD800a\uDFFF\u0000\u2028"\\</script>`;
    await first.call('set', 'oidc-session:odd', odd);
    const again = await nextRun(first);
    expect(await again.call('get', 'oidc-session:odd')).toBe(odd);
  });

  it('a key with path syntax names an entry, never a file', async () => {
    const { call, dir } = await serve();
    await call('set', 'oidc-session:../../../../tmp/evil', 'v');
    await call('set', 'oidc-session:\u0000/x', 'w');
    expect(await realFs.readdir(dir)).toEqual(['store.bin']);
    expect(await call('get', 'oidc-session:../../../../tmp/evil')).toBe('v');
  });
});

describe('concurrent writes', () => {
  it('a burst from two windows is applied in arrival order, read back whole by the next run, with no temp file left', async () => {
    const first = await serve();
    const second = first.ipcMain.rendererAt('app://bundle/other-window.html');
    const expected = new Map<string, string>();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i++) {
      const key = `oidc-session:k${i % 17}`;
      const renderer = i % 2 ? second : { invoke: (ch: string, ...args: unknown[]) => first.ipcMain.invokeFrom(APP, ch, ...args) };
      if (i % 5 === 4) {
        expected.delete(key);
        calls.push(renderer.invoke(channel('remove'), key));
      } else {
        expected.set(key, `v${i}`);
        calls.push(renderer.invoke(channel('set'), key, `v${i}`));
      }
    }
    await Promise.all(calls);
    const again = await nextRun(first);
    const keys = (await again.call('keys')) as string[];
    expect(new Set(keys)).toEqual(new Set(expected.keys()));
    for (const [key, value] of expected) expect(await again.call('get', key)).toBe(value);
    expect(await realFs.readdir(first.dir)).toEqual(['store.bin']);
  });
});

describe('a symlink planted where the store writes', () => {
  it('at the temp path: the write fails closed (exclusive create), the link target is untouched, the next write works', async () => {
    const { call, dir, file, errors } = await serve();
    const victim = join(dir, 'victim.txt');
    await realFs.writeFile(victim, 'do not overwrite');
    const uuid = '00000000-0000-4000-8000-000000000000';
    vi.spyOn(globalThis.crypto, 'randomUUID').mockReturnValueOnce(uuid);
    await realFs.symlink(victim, `${file}.${uuid}.tmp`);

    const failure = await call('set', 'oidc-session:k', 'secret').catch((error: Error) => error);
    expect(String(failure)).toMatch(/secure storage could not set/);
    expect(String(failure)).not.toContain(dir);
    expect(errors).toHaveLength(1);
    expect(await realFs.readFile(victim, 'utf8')).toBe('do not overwrite');

    await call('set', 'oidc-session:k', 'secret');
    expect(await call('get', 'oidc-session:k')).toBe('secret');
    expect(await realFs.readFile(victim, 'utf8')).toBe('do not overwrite');
  });

  it('at the store path: read as a damaged store, then replaced by a file of its own; the link target is untouched', async () => {
    const dir = await realFs.mkdtemp(join(tmpdir(), 'oidc-red-electron-'));
    onTestFinished(() => realFs.rm(dir, { recursive: true, force: true }));
    const victim = join(dir, 'victim.txt');
    await realFs.writeFile(victim, 'the user’s own file');
    await realFs.symlink(victim, join(dir, 'store.bin'));
    const { call, file } = await serve({}, dir);
    expect(await call('keys')).toEqual([]);
    await call('set', 'oidc-session:k', 'v');
    expect(await realFs.readFile(victim, 'utf8')).toBe('the user’s own file');
    expect((await realFs.lstat(file)).isSymbolicLink()).toBe(false);
    expect((await realFs.stat(file)).mode & 0o777).toBe(0o600);
  });
});
