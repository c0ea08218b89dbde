// WebKit: renewal after expiry from test/e2e/browser-sdk.spec.ts, at the e2e token lifetime (6 s).
import { eventsOf, signIn, stateOf, storedSession } from './harness.js';
import { expect, test } from './fixtures.js';

test.describe('WebKit, refresh', () => {
  test('refreshes after the access token expires, persists the rotated refresh token, and forceRefresh renews again', async ({ tab, stack }) => {
    await signIn(tab, stack, 'esm');
    const before = (await storedSession(tab)) as Record<string, any>;
    const refreshesBefore = stack.provider.count('token', 'refresh_token');
    const revokedBefore = stack.provider.revokedGrants.length;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, before.expiresAt - Date.now()) + 200));
    const token = await tab.evaluate(() => (window as any).client.getAccessToken() as Promise<string>);
    const after = (await storedSession(tab)) as Record<string, any>;
    expect(stack.provider.count('token', 'refresh_token')).toBe(refreshesBefore + 1);
    expect(token).toBe(after.accessToken);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
    // The rotated token is the live one: a second refresh with it succeeds (reuse of the old one would revoke the grant).
    const second = await tab.evaluate(() => (window as any).client.getAccessToken({ forceRefresh: true }) as Promise<string>);
    expect(second).not.toBe(token);
    expect(stack.provider.count('token', 'refresh_token')).toBe(refreshesBefore + 2);
    expect(stack.provider.revokedGrants.length).toBe(revokedBefore);
    expect((await eventsOf(tab)).filter((e) => e.type === 'refresh')).toHaveLength(2);
  });

  test('20 concurrent getAccessToken() calls after expiry make exactly one token request', async ({ tab, stack }) => {
    await signIn(tab, stack, 'esm');
    const before = (await storedSession(tab)) as Record<string, any>;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, before.expiresAt - Date.now()) + 200));
    const refreshesBefore = stack.provider.count('token', 'refresh_token');
    const tokens = await tab.evaluate(() =>
      Promise.all(Array.from({ length: 20 }, () => (window as any).client.getAccessToken() as Promise<string>)),
    );
    expect(tokens).toHaveLength(20);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(before.accessToken);
    expect(stack.provider.count('token', 'refresh_token')).toBe(refreshesBefore + 1);
    expect((await stateOf(tab)).status).toBe('authenticated');
  });
});
