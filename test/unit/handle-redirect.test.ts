// @vitest-environment happy-dom
// The page side of the redirects, with a real address bar (happy-dom): what the state says while a
// callback is pending, one promise per callback, the logout return, and the unhandled-callback warning.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthState } from '../../src/index.js';
import { setup } from './harness.js';

/** Puts the page at `url`, as a navigation to it would. */
function openPage(url: string): void {
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
}

/** Every status the client reports, from the first one a UI would render. */
function statuses(client: { subscribe(listener: (state: AuthState) => void): () => void }): string[] {
  const seen: string[] = [];
  client.subscribe((state) => void seen.push(state.status));
  return seen;
}

/** Logs in up to the provider's answer and puts this page at the callback URL it sent. */
async function arriveWithCallback(outcome: 'code' | 'access_denied' = 'code', sessionBefore = false) {
  const world = await setup();
  if (sessionBefore) await world.signIn();
  await world.client.login({ returnTo: '/after' });
  let callback = world.provider.authorize(world.navigations.at(-1) as string);
  if (outcome === 'access_denied') {
    const url = new URL(callback);
    url.searchParams.delete('code');
    url.searchParams.set('error', 'access_denied');
    callback = url.href;
  }
  openPage(callback);
  // A fresh page: a new client over the same storage.
  return { ...world, callback, page: world.makeClient() };
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('while a callback on the page is pending', () => {
  it('the state is loading from the first read until the login is stored: never anonymous first', async () => {
    const { page } = await arriveWithCallback();
    const seen = statuses(page);
    await new Promise((r) => setTimeout(r, 50)); // storage read, sibling wait: nothing may settle the state yet
    expect(seen).toEqual(['loading']);
    const result = await page.handleRedirect();
    expect(result).toMatchObject({ kind: 'login', returnTo: '/after', user: { sub: 'alice' } });
    expect(seen).toEqual(['loading', 'authenticated']);
  });

  it('getUser() waits for the callback instead of answering "signed out"', async () => {
    const { page } = await arriveWithCallback();
    const user = page.getUser();
    await new Promise((r) => setTimeout(r, 20));
    void page.handleRedirect();
    await expect(user).resolves.toMatchObject({ sub: 'alice' });
  });

  it('a refused login (access_denied) goes from loading to anonymous, and the error reaches the caller', async () => {
    const { page } = await arriveWithCallback('access_denied');
    const seen = statuses(page);
    await expect(page.handleRedirect()).rejects.toMatchObject({ name: 'OAuthError', error: 'access_denied' });
    await vi.waitFor(() => expect(seen).toEqual(['loading', 'anonymous']));
  });

  it('a failed callback leaves the session the tab already had, still without an anonymous moment', async () => {
    const { page, callback } = await arriveWithCallback('code', true);
    const seen = statuses(page);
    // A forged variant of the response: right shape, unknown state.
    openPage(callback.replace(/state=[^&]+/, 'state=forged'));
    await expect(page.handleRedirect()).rejects.toMatchObject({ code: 'state_mismatch' });
    await vi.waitFor(() => expect(seen).toEqual(['loading', 'authenticated']));
  });

  it('removes the response from the address bar, keeping the app\'s own parameters', async () => {
    const { page, callback } = await arriveWithCallback();
    openPage(`${callback}&tab=2`);
    await page.handleRedirect();
    expect(location.href).toBe('https://rp.test/cb?tab=2');
  });
});

describe('the same callback twice on one page (React StrictMode, effects that run again)', () => {
  it('gets the same promise, from handleRedirect() and handleCallback() alike, and redeems once', async () => {
    const { page, provider } = await arriveWithCallback();
    const first = page.handleRedirect();
    // The address bar is clean by now: a second effect reads the clean URL.
    expect(location.search).toBe('');
    expect(page.handleRedirect()).toBe(first);
    expect(page.handleCallback()).toBe(first);
    await first;
    expect(page.handleRedirect()).toBe(first);
    expect(provider.count('/token', 'authorization_code')).toBe(1);
  });

  it('a failure is the same rejection again, never a second, different error', async () => {
    const { page } = await arriveWithCallback('access_denied');
    const first = page.handleCallback();
    await expect(first).rejects.toMatchObject({ error: 'access_denied' });
    expect(page.handleCallback()).toBe(first);
  });
});

describe('the return from logout()', () => {
  async function loggedOut() {
    const world = await setup();
    await world.signIn();
    await world.client.logout();
    const end = new URL(world.navigations.at(-1) as string);
    return { ...world, sent: end.searchParams.get('state') as string };
  }

  it('with the state this tab sent: "logout", the state removed from the address bar', async () => {
    const { makeClient, sent, storage } = await loggedOut();
    openPage(`https://rp.test/bye?lang=fr&state=${sent}`);
    const page = makeClient();
    const first = page.handleRedirect();
    await expect(first).resolves.toEqual({ kind: 'logout' });
    expect(location.href).toBe('https://rp.test/bye?lang=fr');
    expect(page.handleRedirect()).toBe(first);
    expect(storage.map.has('oidc-session:v1:spa:logout')).toBe(false);
    expect(page.state.status).toBe('anonymous');
  });

  it('without a state (a provider with no end-session endpoint, or one that drops it): "logout"', async () => {
    const { makeClient } = await loggedOut();
    openPage('https://rp.test/bye');
    await expect(makeClient().handleRedirect()).resolves.toEqual({ kind: 'logout' });
  });

  it('with another state (forged, or another logout; conformance rp-init-logout-other-state): "none", and cleaned', async () => {
    const { makeClient } = await loggedOut();
    openPage('https://rp.test/bye?state=someone-elses');
    await expect(makeClient().handleRedirect()).resolves.toEqual({ kind: 'none' });
    expect(location.href).toBe('https://rp.test/bye');
  });

  it('is reported once: the next page load is "none"', async () => {
    const { makeClient, sent } = await loggedOut();
    openPage(`https://rp.test/bye?state=${sent}`);
    await makeClient().handleRedirect();
    openPage('https://rp.test/bye');
    await expect(makeClient().handleRedirect()).resolves.toEqual({ kind: 'none' });
  });

  it('a login started after it forgets it', async () => {
    const { makeClient, storage } = await loggedOut();
    openPage('https://rp.test/');
    await makeClient().login();
    expect(storage.map.has('oidc-session:v1:spa:logout')).toBe(false);
  });

  it('an ordinary page with its own ?state= is left alone when no logout is pending', async () => {
    const { makeClient } = await setup();
    openPage('https://rp.test/list?state=open');
    await expect(makeClient().handleRedirect()).resolves.toEqual({ kind: 'none' });
    expect(location.href).toBe('https://rp.test/list?state=open');
  });
});

describe('a callback nobody handles', () => {
  it('warns (event and console) after 3 s and then reports the session the tab has', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { page, callback } = await arriveWithCallback();
    const warnings: string[] = [];
    page.on('warning', (event) => void warnings.push(event.error.code));
    const seen = statuses(page);
    await vi.advanceTimersByTimeAsync(2900);
    expect(warnings).toEqual([]);
    expect(seen).toEqual(['loading']);
    await vi.advanceTimersByTimeAsync(200);
    expect(warnings).toEqual(['callback_unhandled']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('handleRedirect()'));
    await vi.waitFor(() => expect(seen).toEqual(['loading', 'anonymous']));
    // The response is still there to handle: handling it late still works.
    expect(location.href).toBe(callback);
  });

  it('in an app bundled for production (NODE_ENV=production): the event still fires, the console stays quiet', async () => {
    // What a bundler's production build leaves in place of process.env.NODE_ENV.
    vi.stubEnv('NODE_ENV', 'production');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { page } = await arriveWithCallback();
    const warnings: string[] = [];
    page.on('warning', (event) => void warnings.push(event.error.code));
    // Rendered, as an app renders the state at start: the client starts and the 3 s begin.
    const seen = statuses(page);
    await vi.advanceTimersByTimeAsync(3100);
    expect(warnings).toEqual(['callback_unhandled']);
    expect(warn).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(seen).toEqual(['loading', 'anonymous']));
  });

  it('does not warn when it answers no pending login (a forged or stale link)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { makeClient } = await setup();
    openPage('https://rp.test/cb?code=x&state=y');
    const page = makeClient();
    const warnings: string[] = [];
    page.on('warning', (event) => void warnings.push(event.error.code));
    const seen = statuses(page);
    await vi.advanceTimersByTimeAsync(3100);
    await vi.waitFor(() => expect(seen).toEqual(['loading', 'anonymous']));
    expect(warnings).toEqual([]);
  });

  it('a redemption slower than the warning delay is not cut short: no warning, never anonymous', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const world = await arriveWithCallback();
    const slowFetch: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/token')) await new Promise((r) => setTimeout(r, 5000));
      return world.provider.fetch(input, init);
    };
    const page = world.makeClient({ fetch: slowFetch });
    const warnings: string[] = [];
    page.on('warning', (event) => void warnings.push(event.error.code));
    const seen = statuses(page);
    const result = page.handleRedirect();
    await vi.advanceTimersByTimeAsync(4000);
    expect(seen).toEqual(['loading']);
    await vi.advanceTimersByTimeAsync(1500);
    await expect(result).resolves.toMatchObject({ kind: 'login' });
    expect(seen).toEqual(['loading', 'authenticated']);
    expect(warnings).toEqual([]);
  });

  it('does not warn when the app handles it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { page } = await arriveWithCallback();
    const warnings: string[] = [];
    page.on('warning', (event) => void warnings.push(event.error.code));
    await page.handleRedirect();
    await vi.advanceTimersByTimeAsync(5000);
    expect(warnings).toEqual([]);
  });
});
