// What every durable native adapter must do, and the login that must survive the app being killed
// while the system browser is open. Shared by the adapter suites.
import { expect, it, onTestFinished, vi } from 'vitest';
import type { StorageAdapter } from '../../src/index.js';
import { setup } from '../unit/harness.js';

const KEY = 'oidc-session:v1:spa:session';

/** The StorageAdapter contract for an adapter from `open()`, each call a fresh, empty store. */
export function itKeepsTheAdapterContract(open: () => StorageAdapter | Promise<StorageAdapter>) {
  it('is durable and shared: not per tab, and keeps pending logins itself', async () => {
    const adapter = await open();
    expect(adapter.perTab).toBeFalsy();
    expect(adapter.pendingLoginsInSessionStorage).toBeFalsy();
  });

  it('reads a missing key as absent, round-trips strings exactly, removes, and lists keys', async () => {
    const adapter = await open();
    expect(await adapter.get(KEY)).toBeOneOf([undefined, null]);
    expect(await adapter.keys()).toEqual([]);
    // JSON-looking, date-looking and empty strings come back as the same strings.
    const values = ['{"a":1}', '"2026-11-27T12:00:00.000Z"', '', 'ünïcødé ✓ \u{1F511}', 'x'.repeat(20_000)];
    for (const [i, value] of values.entries()) {
      await adapter.set(`${KEY}${i}`, value);
      expect(await adapter.get(`${KEY}${i}`)).toBe(value);
    }
    expect([...(await adapter.keys())].sort()).toEqual(values.map((_, i) => `${KEY}${i}`).sort());
    await adapter.set(`${KEY}0`, 'replaced');
    expect(await adapter.get(`${KEY}0`)).toBe('replaced');
    await adapter.remove(`${KEY}0`);
    expect(await adapter.get(`${KEY}0`)).toBeOneOf([undefined, null]);
    expect(await adapter.keys()).not.toContain(`${KEY}0`);
  });

  it('removes a missing key without an error', async () => {
    const adapter = await open();
    await expect(Promise.resolve(adapter.remove(`${KEY}-never-set`))).resolves.toBeUndefined();
  });
}

/**
 * Signs in with one AuthClient that is then dropped (the app killed while the system browser shows the
 * provider), and completes the callback with a new AuthClient over a new adapter on the same store
 * (the app started again by the deep link). `open()` is that adapter; `storedKeys()` lists the keys in
 * the underlying store.
 */
export async function expectLoginToSurviveRestart(open: () => StorageAdapter | Promise<StorageAdapter>, storedKeys: () => Promise<readonly string[]>) {
  // A sessionStorage that records any use: with these adapters nothing goes there.
  const tabStorage = { getItem: vi.fn(() => null), setItem: vi.fn(), removeItem: vi.fn(), key: vi.fn(), length: 0, clear: vi.fn() };
  vi.stubGlobal('sessionStorage', tabStorage);
  onTestFinished(() => void vi.unstubAllGlobals());

  const { provider, navigations, makeClient } = await setup();
  const first = makeClient({ storage: await open() });
  await first.login({ returnTo: '/after' });
  const authorizationUrl = navigations.at(-1) as string;
  const state = new URL(authorizationUrl).searchParams.get('state');
  expect(await storedKeys()).toContain(`oidc-session:v1:spa:txn:${state}`);
  first.dispose();

  const callback = provider.authorize(authorizationUrl, 'alice');
  const second = makeClient({ storage: await open() });
  const result = await second.handleCallback(callback);
  expect(result).toMatchObject({ returnTo: '/after', user: { sub: 'alice' } });
  expect(second.state).toMatchObject({ status: 'authenticated', user: { sub: 'alice' } });
  const keys = await storedKeys();
  expect(keys).toContain('oidc-session:v1:spa:session');
  expect(keys.filter((k) => k.includes(':txn:'))).toEqual([]);
  expect(await second.getAccessToken()).toMatch(/^at-/);

  // A third start reads the session back from the store alone.
  const third = makeClient({ storage: await open() });
  expect(await third.getUser()).toMatchObject({ sub: 'alice' });
  for (const method of ['getItem', 'setItem', 'removeItem'] as const) expect(tabStorage[method]).not.toHaveBeenCalled();
}
