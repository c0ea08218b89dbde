import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { extensionStorage } from '../../src/native/extension.js';
import { expectLoginToSurviveRestart, itKeepsTheAdapterContract } from './contract.js';
import { fakeStorageArea } from './fake-extension.js';

function stubChrome(session: unknown) {
  vi.stubGlobal('chrome', { storage: { session, local: fakeStorageArea() } });
  onTestFinished(() => void vi.unstubAllGlobals());
}

describe('extensionStorage()', () => {
  itKeepsTheAdapterContract(() => extensionStorage(fakeStorageArea()));
  // Before Chrome 130: no getKeys(), keys come from get(null).
  itKeepsTheAdapterContract(() => extensionStorage(fakeStorageArea({ getKeys: false })));

  it('uses chrome.storage.session by default, looked up on first use rather than at creation', async () => {
    const adapter = extensionStorage();
    await expect(adapter.get('k')).rejects.toThrow(/chrome.storage.session is not available/);
    await expect(adapter.keys()).rejects.toThrow(/chrome.storage.session is not available/);
    const session = fakeStorageArea();
    stubChrome(session);
    await adapter.set('k', 'v');
    expect(session.items.get('k')).toBe('"v"');
  });

  it('finds browser.storage.session where only the browser namespace exists', async () => {
    const session = fakeStorageArea();
    vi.stubGlobal('browser', { storage: { session } });
    onTestFinished(() => void vi.unstubAllGlobals());
    await extensionStorage().set('k', 'v');
    expect(session.items.has('k')).toBe(true);
  });

  it('reads a value of another type as absent, and stores a "__proto__" key as its own item', async () => {
    const area = fakeStorageArea();
    await area.set({ number: 1, object: { a: 1 } });
    const adapter = extensionStorage(area);
    expect(await adapter.get('number')).toBeUndefined();
    expect(await adapter.get('object')).toBeUndefined();
    await adapter.set('__proto__', 'v');
    expect(await adapter.get('__proto__')).toBe('v');
    expect(await adapter.keys()).toContain('__proto__');
  });

  it('passes every failure of the area on (a full quota, a content script denied session)', async () => {
    const area = fakeStorageArea({ quotaBytes: 100 });
    const adapter = extensionStorage(area);
    await expect(adapter.set('k', 'x'.repeat(200))).rejects.toThrow(/quota/);
    const denied = new Error('Access to storage is not allowed from this context.');
    for (const call of [() => adapter.get('k'), () => adapter.set('k', 'v'), () => adapter.remove('k'), () => adapter.keys()]) {
      area.failNext(denied);
      await expect(call()).rejects.toBe(denied);
    }
  });

  it('carries a login across a service-worker restart, session and pending login in the area', async () => {
    const session = fakeStorageArea();
    await expectLoginToSurviveRestart(() => extensionStorage(session), async () => Object.keys(await session.get(null)));
  });
});
