import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { electronSecureStorage, secureStorageBridge } from '../../src/native/electron.js';
import { serveSecureStorage, type SecureStorageServer } from '../../src/native/electron-main.js';
import { expectLoginToSurviveRestart, itKeepsTheAdapterContract } from './contract.js';
import { fakeIpcMain, fakeSafeStorage } from './fake-electron.js';

const APP = 'app://bundle/index.html';

async function tempFile() {
  const dir = await mkdtemp(join(tmpdir(), 'oidc-electron-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'oidc-session.bin');
}

/** Main process and one renderer at `APP`, wired by the fake IPC, over `file`. */
async function startApp(file: string, safeStorage = fakeSafeStorage()) {
  const ipcMain = fakeIpcMain();
  const server: SecureStorageServer = await serveSecureStorage({ ipcMain, safeStorage, file, allowedOrigins: ['app://bundle'], platform: 'linux' });
  onTestFinished(() => server.close());
  const bridge = secureStorageBridge(ipcMain.rendererAt(APP));
  return { ipcMain, server, bridge, adapter: electronSecureStorage(bridge) };
}

describe('electronSecureStorage() through the preload bridge to serveSecureStorage()', () => {
  itKeepsTheAdapterContract(async () => (await startApp(await tempFile())).adapter);

  it('sends each call on its own channel with exactly its own arguments', async () => {
    const invoke = vi.fn(async () => null);
    const bridge = secureStorageBridge({ invoke });
    const call = bridge as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    await call.get!('k', 'smuggled');
    await call.set!('k', 'v', 'smuggled');
    await call.remove!('k', 'smuggled');
    await call.keys!('smuggled');
    expect(invoke.mock.calls).toEqual([
      ['oidc-session:secure-storage:get', 'k'],
      ['oidc-session:secure-storage:set', 'k', 'v'],
      ['oidc-session:secure-storage:remove', 'k'],
      ['oidc-session:secure-storage:keys'],
    ]);
    await secureStorageBridge({ invoke }, { channel: 'my-app:auth' }).keys();
    expect(invoke).toHaveBeenLastCalledWith('my-app:auth:keys');
  });

  it('passes the main process’s refusals and failures on to the SDK', async () => {
    const { adapter, bridge } = await startApp(await tempFile());
    await expect(adapter.set('not-the-sdk', 'v')).rejects.toThrow(/refused the call: key must be a string under "oidc-session:"/);
    const failing = electronSecureStorage({ ...bridge, get: () => Promise.reject(new Error('boom')) });
    await expect(failing.get('oidc-session:k')).rejects.toThrow('boom');
  });

  it('carries a login across an app restart, session and pending login in the encrypted file', async () => {
    const file = await tempFile();
    const safeStorage = fakeSafeStorage();
    let running: Awaited<ReturnType<typeof startApp>> | undefined;
    // Each open() is the app started again: the old main process gone, a new one over the same file.
    const open = async () => {
      await running?.server.close();
      running = await startApp(file, safeStorage);
      return running.adapter;
    };
    await expectLoginToSurviveRestart(open, () => (running as NonNullable<typeof running>).bridge.keys());
  });
});
