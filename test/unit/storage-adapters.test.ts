import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthClient, indexedDbStorage, memoryStorage } from '../../src/index.js';
import { inspectableStorage, setup } from './harness.js';

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

/** A stand-in for the tab's sessionStorage (Node has none), so tests can see what lands there. */
function fakeSessionStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
  };
}

describe('built-in storage adapters', () => {
  it('declare where they keep sessions and pending logins', () => {
    expect(memoryStorage()).toMatchObject({ perTab: true, pendingLoginsInSessionStorage: true });
    const idb = indexedDbStorage();
    expect(idb.perTab).toBeUndefined();
    expect(idb.pendingLoginsInSessionStorage).toBe(true);
  });

  describe('memoryStorage()', () => {
    let session: ReturnType<typeof fakeSessionStorage>;
    // A tab: its sessionStorage, and a document (the SDK's own adapters need a browser to start).
    beforeAll(() => void Object.assign(globalThis, { sessionStorage: (session = fakeSessionStorage()), document: {} }));
    afterAll(() => {
      delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
      delete (globalThis as { document?: unknown }).document;
    });

    it('does not start outside a browser: pending logins need sessionStorage, so every call says browser_required', async () => {
      const client = new AuthClient({ issuer: 'https://op.test', clientId: 'spa', redirectUri: 'https://rp.test/cb', storage: memoryStorage() });
      delete (globalThis as { document?: unknown }).document;
      try {
        expect(client.state.status).toBe('loading');
        await expect(client.getUser()).rejects.toMatchObject({ code: 'browser_required' });
        await expect(client.login()).rejects.toMatchObject({ code: 'browser_required' });
        // With indexedDbStorage() too; a desktop app's own adapter, which keeps pending logins itself, starts.
        const idb = new AuthClient({ issuer: 'https://op.test', clientId: 'spa', redirectUri: 'https://rp.test/cb', storage: indexedDbStorage() });
        await expect(idb.getUser()).rejects.toMatchObject({ code: 'browser_required' });
        const map = new Map<string, string>();
        const own = { get: (k: string) => map.get(k), set: (k: string, v: string) => void map.set(k, v), remove: (k: string) => void map.delete(k), keys: () => [...map.keys()] };
        const desktop = new AuthClient({ issuer: 'https://op.test', clientId: 'spa', redirectUri: 'http://127.0.0.1/cb', storage: own });
        await expect(desktop.getUser()).resolves.toBeUndefined();
        expect(desktop.state.status).toBe('anonymous');
      } finally {
        Object.assign(globalThis, { document: {} });
      }
    });

    it('keeps the pending login in sessionStorage, where it survives the redirect, and the tokens in memory', async () => {
      const storage = memoryStorage();
      const { client, provider, navigations } = await setup({}, { storage });
      await client.login();
      expect([...session.map.keys()].filter((key) => key.includes(':txn:'))).toHaveLength(1);
      expect((await storage.keys()).filter((key) => key.includes(':txn:'))).toEqual([]);

      const callback = provider.authorize(navigations.at(-1) as string, 'alice');
      await client.handleCallback(callback);
      expect(session.map.size).toBe(0);
      expect([...session.map.values(), ...(await storage.keys())].join()).not.toContain('eyJ');
      const keys = await storage.keys();
      expect(keys.some((key) => key.endsWith(':session'))).toBe(true);
      expect(await client.getAccessToken()).toMatch(/^at-/);
    });
  });
});

describe('a custom adapter that says it is per tab', () => {
  // The SDK opens its tab channel only where there is `self` (a window or a worker); Node's global object stands in here.
  beforeAll(() => void Object.assign(globalThis, { self: globalThis }));
  afterAll(() => void delete (globalThis as { self?: unknown }).self);

  // Each "tab" has its own store, as with an app's own wrapper around sessionStorage.
  const perTab = () => Object.assign(inspectableStorage(), { perTab: true });

  it('gets the session handed over by the other tabs, and loses it when one logs out', async () => {
    const { client: tabA, makeClient, signIn } = await setup({}, { storage: perTab() });
    const storeB = perTab();
    const tabB = makeClient({ storage: storeB });
    // A per-tab store starts empty and asks its siblings first; none has a session yet.
    await until(() => tabB.state.status === 'anonymous');
    await signIn(tabA);
    await until(() => tabB.state.status === 'authenticated');
    // B now holds its own copy.
    expect([...storeB.map.keys()].some((key) => key.endsWith(':session'))).toBe(true);
    expect(await tabB.getAccessToken()).toBe(await tabA.getAccessToken());

    await tabA.logout();
    await until(() => tabB.state.status === 'anonymous');
    expect([...storeB.map.values()].join()).not.toMatch(/"(at|rt)-/);
  });

  it('without the flag, stores count as one shared store: a separate one is handed nothing', async () => {
    const { client: tabA, makeClient, signIn } = await setup({}, { storage: inspectableStorage() });
    const tabB = makeClient({ storage: inspectableStorage() });
    await signIn(tabA);
    await new Promise((r) => setTimeout(r, 50));
    expect(tabB.state.status).toBe('anonymous');
  });
});
