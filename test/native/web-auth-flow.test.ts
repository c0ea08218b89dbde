// webAuthFlow(): the navigate option for extensions, over a fake chrome.identity with the real API's
// shape (a promise of the final redirect URL, or a rejection when the user closes the window).
import { afterEach, describe, expect, it } from 'vitest';
import { webAuthFlow, type IdentityApi } from '../../src/native/index.js';
import { setup } from '../unit/harness.js';

function fakeIdentity(answer: (url: string) => Promise<string | undefined>) {
  const calls: Array<{ url: string; interactive?: boolean }> = [];
  const identity: IdentityApi = {
    launchWebAuthFlow: (details) => {
      calls.push(details);
      return answer(details.url);
    },
  };
  return { identity, calls };
}

describe('webAuthFlow()', () => {
  afterEach(() => {
    delete (globalThis as { chrome?: unknown }).chrome;
  });

  it('opens the authorization URL interactively, and login() completes with the URL the flow resolves with', async () => {
    const { makeClient, provider } = await setup();
    const { identity, calls } = fakeIdentity(async (url) => provider.authorize(url, 'ada').replace('https://rp.test/cb', 'https://abc.chromiumapp.org/callback'));
    const client = makeClient({ redirectUri: 'https://abc.chromiumapp.org/callback', navigate: webAuthFlow(identity) });
    const result = await client.login();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.interactive).toBe(true);
    expect(new URL(calls[0]?.url as string).searchParams.get('redirect_uri')).toBe('https://abc.chromiumapp.org/callback');
    expect(result).toMatchObject({ kind: 'login', user: { sub: 'ada' } });
  });

  it('finds chrome.identity on first use, not at import', async () => {
    const { identity, calls } = fakeIdentity(async () => undefined);
    const navigate = webAuthFlow();
    (globalThis as { chrome?: unknown }).chrome = { identity };
    await navigate('https://op.test/authorize?x=1');
    expect(calls.map((c) => c.url)).toEqual(['https://op.test/authorize?x=1']);
  });

  it('without the identity API it rejects with a ConfigError that names the permission', async () => {
    await expect(webAuthFlow()('https://op.test/authorize')).rejects.toMatchObject({ name: 'ConfigError', option: 'navigate', message: expect.stringMatching(/"identity" permission/) });
  });

  it('a window the user closed rejects login() with AuthError aborted, the browser\'s reason in the message, and stores no session', async () => {
    const { makeClient, storedTokens } = await setup();
    const { identity } = fakeIdentity(() => Promise.reject(new Error('The user did not approve access.')));
    const client = makeClient({ redirectUri: 'https://abc.chromiumapp.org/callback', navigate: webAuthFlow(identity) });
    await expect(client.login()).rejects.toMatchObject({ name: 'AuthError', code: 'aborted', message: 'auth window: The user did not approve access.' });
    expect(storedTokens()).toEqual([]);
    expect(client.state.status).toBe('anonymous');
  });
});
