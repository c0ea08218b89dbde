// @vitest-environment happy-dom
// handleRedirect() in session-server mode, with a real address bar (happy-dom) and a fake session
// server: a login the server sent back, a failed one (?auth_error=), this tab's logout return, or none.
import { beforeEach, describe, expect, it } from 'vitest';
import { AuthClient } from '../../src/server-mode.js';

const user = { sub: 'ada', name: 'Ada' };

/** A client over a fake server that answers the session route with `signedIn`, and logout with an end-session URL. */
function clientFor(signedIn: boolean) {
  const navigations: string[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    const path = String(input);
    if (path.endsWith('/session')) return signedIn ? Response.json({ user, expiresAt: Date.now() + 60_000 }) : new Response(null, { status: 401 });
    if (path.endsWith('/logout')) return Response.json({ redirectTo: 'https://op.test/session/end?client_id=app&state=sent-by-server' });
    return new Response(null, { status: 404 });
  };
  return { client: new AuthClient({ sessionServer: '/auth', fetch, navigate: (url) => void navigations.push(url) }), navigations };
}

function openPage(url: string): void {
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
}

beforeEach(() => sessionStorage.clear());

describe('session-server mode: handleRedirect()', () => {
  it('an ordinary page is none, and its own ?state= stays', async () => {
    openPage('https://app.test/list?state=open');
    await expect(clientFor(true).client.handleRedirect()).resolves.toEqual({ kind: 'none' });
    expect(location.href).toBe('https://app.test/list?state=open');
  });

  it('back from login() with a session: login, with the page as returnTo; the same promise twice', async () => {
    openPage('https://app.test/start');
    const { client } = clientFor(true);
    await client.login({ returnTo: '/account' });
    openPage('https://app.test/account?tab=2');
    const page = clientFor(true).client;
    const result = page.handleRedirect();
    expect(page.handleRedirect()).toBe(result);
    await expect(result).resolves.toEqual({ kind: 'login', user, returnTo: '/account?tab=2' });
  });

  it('back from login() without a session (Back from the provider): none', async () => {
    openPage('https://app.test/start');
    await clientFor(false).client.login();
    await expect(clientFor(false).client.handleRedirect()).resolves.toEqual({ kind: 'none' });
  });

  it('?auth_error= is an OAuthError with only a known code, and leaves the address bar', async () => {
    openPage('https://app.test/account?auth_error=access_denied&tab=2');
    await expect(clientFor(false).client.handleRedirect()).rejects.toMatchObject({ name: 'OAuthError', error: 'access_denied' });
    expect(location.href).toBe('https://app.test/account?tab=2');
    openPage('https://app.test/account?auth_error=call_555_now');
    await expect(clientFor(false).client.handleRedirect()).rejects.toMatchObject({ error: 'server_error' });
  });

  it("this tab's logout return: the server's state is logout, another is none; cleaned either way", async () => {
    for (const [state, kind] of [['sent-by-server', 'logout'], ['someone-elses', 'none']] as const) {
      openPage('https://app.test/');
      const { client, navigations } = clientFor(true);
      await client.getUser();
      await client.logout();
      expect(navigations).toEqual(['https://op.test/session/end?client_id=app&state=sent-by-server']);
      openPage(`https://app.test/?lang=fr&state=${state}`);
      await expect(clientFor(false).client.handleRedirect()).resolves.toEqual({ kind });
      expect(location.href).toBe('https://app.test/?lang=fr');
    }
  });

  it('the logout return is reported once', async () => {
    openPage('https://app.test/');
    const { client } = clientFor(true);
    await client.logout();
    openPage('https://app.test/?state=sent-by-server');
    await clientFor(false).client.handleRedirect();
    openPage('https://app.test/');
    await expect(clientFor(false).client.handleRedirect()).resolves.toEqual({ kind: 'none' });
  });
});
