import { onTestFinished } from 'vitest';
import { AuthClient, type AuthClientOptions, type StorageAdapter } from '../../src/index.js';
import { createFakeProvider, type FakeProviderOptions } from './fake-provider.js';

/** A storage adapter over a Map the test can inspect, shared by clients like a tab's sessionStorage. */
export function inspectableStorage(): StorageAdapter & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    get: (key) => map.get(key),
    set: (key, value) => void map.set(key, value),
    remove: (key) => void map.delete(key),
    keys: () => [...map.keys()],
  };
}

/** A controllable clock shared by the client and the fake provider. */
export function fakeClock(start = Date.UTC(2026, 10, 27, 12)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

export type Setup = Awaited<ReturnType<typeof setup>>;

/** A fake provider, storage, clock and navigation log, plus a factory for clients wired to them. */
export async function setup(providerOptions: FakeProviderOptions = {}, clientOptions: Partial<AuthClientOptions> = {}) {
  const clock = fakeClock();
  const provider = await createFakeProvider({ now: clock.now, ...providerOptions });
  const storage = inspectableStorage();
  const navigations: string[] = [];
  const makeClient = (overrides: Partial<AuthClientOptions> = {}) => {
    const made = new AuthClient({
      issuer: provider.issuer,
      clientId: provider.clientId,
      redirectUri: 'https://rp.test/cb',
      postLogoutRedirectUri: 'https://rp.test/bye',
      storage,
      fetch: provider.fetch,
      navigate: (url) => void navigations.push(url),
      now: clock.now,
      ...clientOptions,
      ...overrides,
    });
    // Node has BroadcastChannel: without this, clients of finished tests would keep talking.
    onTestFinished(() => made.dispose());
    return made;
  };
  const client = makeClient();

  /** Runs login, the user's consent at the provider, and the callback. */
  async function signIn(target = client, sub = 'alice') {
    await target.login({ returnTo: '/after' });
    const callback = provider.authorize(navigations.at(-1) as string, sub);
    const result = await target.handleCallback(callback);
    return { result, callback };
  }

  /** Everything stored that looks like a token the provider issued. */
  const storedTokens = () => [...storage.map.values()].filter((v) => /"(at|rt)-|eyJ/.test(v));

  return { clock, provider, storage, navigations, client, makeClient, signIn, storedTokens };
}
