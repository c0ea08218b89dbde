import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthEvents } from '../../src/index.js';
import { setup } from './harness.js';

// Two clients over one shared adapter stand for two tabs over IndexedDB; Node's BroadcastChannel
// carries their messages as the browser's would.
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe('tabs sharing one store', () => {
  // The SDK opens its tab channel only where there is `self` (a window or a worker); Node's global object stands in here.
  beforeAll(() => void Object.assign(globalThis, { self: globalThis }));
  afterAll(() => void delete (globalThis as { self?: unknown }).self);

  it('a login in one tab signs the other in, with a remote login event', async () => {
    const { client: tabA, makeClient, signIn } = await setup();
    const tabB = makeClient();
    const events: Array<AuthEvents['login']> = [];
    tabB.on('login', (e) => void events.push(e));
    expect(tabB.state.status).toBe('anonymous');
    await signIn(tabA);
    await until(() => tabB.state.status === 'authenticated');
    expect(events).toEqual([expect.objectContaining({ remote: true, user: expect.objectContaining({ sub: 'alice' }) })]);
    expect(await tabB.getAccessToken()).toBe(await tabA.getAccessToken());
  });

  it('a logout in one tab signs the other out, with a remote logout event', async () => {
    const { client: tabA, makeClient, signIn } = await setup();
    const tabB = makeClient();
    await signIn(tabA);
    await until(() => tabB.state.status === 'authenticated');
    const events: Array<AuthEvents['logout']> = [];
    tabB.on('logout', (e) => void events.push(e));
    await tabA.logout();
    await until(() => tabB.state.status === 'anonymous');
    expect(events).toEqual([{ reason: 'user', remote: true }]);
  });

  it('a refresh in one tab hands the new token to the other without a second request', async () => {
    const { client: tabA, makeClient, signIn, clock, provider } = await setup();
    const tabB = makeClient();
    await signIn(tabA);
    await until(() => tabB.state.status === 'authenticated');
    // Let tab B finish its start-up check first: Node has no Web Locks to keep two refreshes apart.
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(3_600_000);
    const token = await tabA.getAccessToken();
    await until(() => tabB.state.status === 'authenticated' && (tabB.state as { expiresAt: number }).expiresAt > clock.now());
    expect(await tabB.getAccessToken()).toBe(token);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
  });

  it('ignores malformed messages from other tabs', async () => {
    const { client, signIn, provider } = await setup();
    await signIn(client);
    const channel = new BroadcastChannel(`oidc-session:v1:${provider.issuer}/:${provider.clientId}`);
    channel.postMessage({ v: 1, from: 'evil', type: 'logout', reason: 'because', at: 0 });
    channel.postMessage({ v: 1, from: 'evil', type: 'session', record: '{"v":1}' });
    channel.postMessage('garbage');
    await new Promise((r) => setTimeout(r, 30));
    channel.close();
    expect(client.state.status).toBe('authenticated');
  });

  it('stops listening after dispose()', async () => {
    const { client: tabA, makeClient, signIn } = await setup();
    const tabB = makeClient();
    expect(tabB.state.status).toBe('anonymous');
    tabB.dispose();
    await signIn(tabA);
    await new Promise((r) => setTimeout(r, 30));
    expect(tabB.state.status).toBe('anonymous');
  });
});
