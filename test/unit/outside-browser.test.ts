// Server-side rendering: the clients are imported and constructed on the server (Node, no window),
// the state is read for the first render, and any call that needs the browser gets one typed error.
import { describe, expect, it, vi } from 'vitest';
import { AuthClient } from '../../src/index.js';
import { AuthClient as ServerModeClient } from '../../src/server-mode.js';

const options = { issuer: 'https://op.test', clientId: 'spa', redirectUri: 'https://rp.test/cb' };
const browserRequired = { name: 'AuthError', code: 'browser_required', message: expect.stringContaining('needs a browser') };

describe.each([
  ['AuthClient', () => new AuthClient(options)],
  ['session-server mode', () => new ServerModeClient({ sessionServer: '/auth' })],
])('%s on the server', (_, create) => {
  it('says "loading" (the browser decides), the same object every time, without warnings or requests', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch');
    const client = create();
    const warnings: unknown[] = [];
    client.on('warning', (event) => void warnings.push(event));
    const seen: unknown[] = [];
    client.subscribe((state) => void seen.push(state));
    expect(client.state).toEqual({ status: 'loading' });
    expect(client.state).toBe(client.state);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([{ status: 'loading' }]);
    expect(warnings).toEqual([]);
    expect(fetch).not.toHaveBeenCalled();
    fetch.mockRestore();
  });

  it.each(['login', 'logout', 'getUser', 'getAccessToken', 'handleRedirect', 'handleCallback'] as const)(
    '%s() rejects with AuthError browser_required, naming the call',
    async (method) => {
      const client = create() as unknown as Record<string, () => Promise<unknown>>;
      const call = client[method] as () => Promise<unknown>;
      await expect(call.call(client)).rejects.toMatchObject(browserRequired);
    },
  );
});
