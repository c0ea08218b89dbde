// @vitest-environment happy-dom
// The opener's side of oidc-session/popup against the in-process provider: a fake window.open, the
// callback posted as the popup's page would (or forged), and every way the popup part can end.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OAuthError, isAuthError } from '../../src/index.js';
import { loginWithPopup } from '../../src/popup/index.js';
import { popupKey } from '../../src/popup/message.js';
import { setup } from '../unit/harness.js';
import { broadcast, fakePopup, openPage, plantedKeys, stateOf, stubWindowOpen, type FakePopup } from './fake-popup.js';

beforeEach(() => {
  openPage('https://rp.test/app?tab=2');
  localStorage.clear();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Resolves once the popup has been pointed at the provider. */
const atProvider = (popup: FakePopup) => vi.waitFor(() => expect(popup.location.href).toMatch(/^https:\/\/op\.test\/authorize\?/));

/** What a rejection was, as the app would branch on it. */
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: unknown) => (isAuthError(error) ? error.code : String(error)));

/** Fakes only the timers loginWithPopup uses: the provider's crypto and fetch stay real. */
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

/** What a popup login leaves in the app's own storage: nothing, ever (its key lives in the popup). */
const popupMarkers = () => [...Object.keys(localStorage), ...Object.keys(sessionStorage)].filter((key) => key.startsWith('oidc-session:popup:'));

describe('a popup login', () => {
  it('opens the popup within the call, before anything is awaited, sized and centred', async () => {
    const world = await setup();
    const popup = fakePopup();
    const open = stubWindowOpen(popup);
    const login = loginWithPopup(world.client);
    // Same tick: a browser counts this as part of the click.
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.calls[0]?.slice(0, 2)).toEqual(['', '_blank']);
    expect(open.mock.calls[0]?.[2]).toMatch(/^popup,width=500,height=640,left=-?\d+,top=-?\d+$/);
    await atProvider(popup);
    popup.post({ state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await login;
  });

  it('completes in this window from the URL the callback page posts: session stored, popup closed, page unchanged', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    const login = loginWithPopup(world.client, { returnTo: '/after' });
    await atProvider(popup);
    // Its key went into the popup's own sessionStorage, random and one per login; none into the app's.
    expect(popup.sessionStorage.getItem(popupKey(stateOf(popup)))).toMatch(/^[\da-f-]{36}$/);
    expect(popupMarkers()).toEqual([]);
    popup.post({ state: stateOf(popup), url: world.provider.authorize(popup.location.href, 'ada') });
    await expect(login).resolves.toMatchObject({ kind: 'login', user: { sub: 'ada' }, returnTo: '/after' });
    expect(world.client.state).toMatchObject({ status: 'authenticated', user: { sub: 'ada' } });
    expect(popup.close).toHaveBeenCalled();
    expect(popupMarkers()).toEqual([]);
    expect(location.href).toBe('https://rp.test/app?tab=2');
    // The client's own navigate (a full-page redirect) was never used.
    expect(world.navigations).toEqual([]);
  });

  it('completes from the BroadcastChannel when COOP cut the popup off (closed reads true all along)', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const login = loginWithPopup(world.client, { cancelOnClose: false });
    await atProvider(popup);
    popup.closed = true; // what the opener reads once the provider's page swapped browsing context groups
    await vi.advanceTimersByTimeAsync(5000);
    vi.useRealTimers();
    broadcast(stateOf(popup), { state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await expect(login).resolves.toMatchObject({ kind: 'login', user: { sub: 'alice' } });
    expect(popupMarkers()).toEqual([]);
  });

  it('sends the authorization request with the popup callback page as redirect_uri', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    const login = loginWithPopup(world.client, { redirectUri: 'https://rp.test/popup-callback', params: { prompt: 'login' } });
    await atProvider(popup);
    const request = new URL(popup.location.href).searchParams;
    expect(request.get('redirect_uri')).toBe('https://rp.test/popup-callback');
    expect(request.get('prompt')).toBe('login');
    popup.post({ state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await expect(login).resolves.toMatchObject({ kind: 'login' });
  });

  it('uses the window the app opened itself, and opens none', async () => {
    const world = await setup();
    const popup = fakePopup();
    const open = stubWindowOpen();
    const login = loginWithPopup(world.client, { popup: popup as unknown as Window });
    await atProvider(popup);
    popup.post({ state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await expect(login).resolves.toMatchObject({ kind: 'login' });
    expect(open).not.toHaveBeenCalled();
    expect(popup.close).toHaveBeenCalled();
  });

  it('two at once each complete with their own state, whichever answers first', async () => {
    const world = await setup();
    const [first, second] = [fakePopup(), fakePopup()];
    stubWindowOpen(first, second);
    const one = loginWithPopup(world.client);
    const two = loginWithPopup(world.client);
    await Promise.all([atProvider(first), atProvider(second)]);
    expect(stateOf(first)).not.toBe(stateOf(second));
    // Each popup's answer reaches both listeners: each takes only its own.
    second.post({ state: stateOf(second), url: world.provider.authorize(second.location.href, 'bob') });
    await expect(two).resolves.toMatchObject({ user: { sub: 'bob' } });
    expect(first.close).not.toHaveBeenCalled();
    broadcast(stateOf(first), { state: stateOf(first), url: world.provider.authorize(first.location.href, 'ada') });
    await expect(one).resolves.toMatchObject({ user: { sub: 'ada' } });
    expect([first.close.mock.calls.length > 0, second.close.mock.calls.length > 0]).toEqual([true, true]);
  });

  it('rejects with the OAuthError of an error response, and closes the popup', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    const login = loginWithPopup(world.client);
    await atProvider(popup);
    const url = `https://rp.test/cb?error=access_denied&state=${stateOf(popup)}&iss=${encodeURIComponent(world.provider.issuer)}`;
    popup.post({ state: stateOf(popup), url });
    const error = await login.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('access_denied');
    expect(popup.close).toHaveBeenCalled();
    expect(world.client.state.status).toBe('anonymous');
  });

  it('closes the popup when login() fails before reaching the provider', async () => {
    const world = await setup();
    world.provider.hooks.discovery = () => new Response('down', { status: 503 });
    const popup = fakePopup();
    stubWindowOpen(popup);
    expect(await codeOf(loginWithPopup(world.client))).not.toBe('resolved');
    expect(popup.close).toHaveBeenCalled();
    expect(popup.location.href).toBe('');
  });
});

describe('messages that are not the callback', () => {
  it('ignores forged, foreign and malformed messages, then takes the real one', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    const login = loginWithPopup(world.client);
    let settled = false;
    void login.finally(() => (settled = true)).catch(() => undefined);
    await atProvider(popup);
    const state = stateOf(popup);
    const real = world.provider.authorize(popup.location.href);
    const forgedCode = `https://rp.test/cb?code=attacker&state=${state}`;
    const otherWindow = fakePopup();
    popup.post({ state, url: forgedCode }, { origin: 'https://evil.test' }); // another origin
    popup.post({ state, url: forgedCode }, { source: otherWindow }); // this origin, another window
    popup.post({ state, url: forgedCode }, { source: null });
    popup.post({ state: 'other-state', url: real }); // another login's
    popup.post({ state, url: `https://rp.test/cb?code=x&state=other-state` }); // URL for another state
    popup.post({ state, url: `https://rp.test/cb?state=${state}` }); // not a login response
    popup.post({ state, url: 42 });
    popup.post({ state, url: `https://rp.test/cb?code=${'x'.repeat(20_000)}&state=${state}` }); // huge
    popup.post({ state, url: 'not a url' });
    popup.post(real); // a bare string
    popup.post(null);
    popup.post([state, real]);
    broadcast('other-state', { state: 'other-state', url: real });
    broadcast(state, { state, url: `https://rp.test/cb?error=x` });
    // The right state and URL, from the popup or over the channel, without the popup's key: a page
    // that another site opened with this state (AR-13).
    for (const key of [undefined, '', 'guessed', plantedKeys.get(state) + 'x']) {
      popup.post({ state, url: real, key });
      broadcast(state, { state, url: real, key });
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    expect(world.provider.requests.filter((r) => r.url.endsWith('/token'))).toEqual([]);
    popup.post({ state, url: real });
    await expect(login).resolves.toMatchObject({ kind: 'login', user: { sub: 'alice' } });
  });
});

describe('a popup that cannot carry its key', () => {
  it('rejects popup_blocked before it reaches the provider: not a blank window of this page, or storage blocked', async () => {
    const world = await setup();
    const popup = fakePopup();
    popup.sessionStorage.setItem = () => {
      throw new DOMException('Blocked a frame with origin', 'SecurityError');
    };
    stubWindowOpen(popup);
    await expect(codeOf(loginWithPopup(world.client))).resolves.toBe('popup_blocked');
    expect(popup.location.href).toBe('');
    expect(popup.close).toHaveBeenCalled();
  });
});

describe('when the popup part ends without a callback', () => {
  it('a blocked window.open rejects popup_blocked at once and starts no login', async () => {
    const world = await setup();
    stubWindowOpen(null);
    await expect(codeOf(loginWithPopup(world.client))).resolves.toBe('popup_blocked');
    expect(world.provider.requests).toEqual([]);
    expect([...world.storage.map.keys()].filter((key) => key.includes('txn:'))).toEqual([]);
    expect(popupMarkers()).toEqual([]);
  });

  it('a null popup from the app (its own window.open was blocked) rejects popup_blocked', async () => {
    const world = await setup();
    const open = stubWindowOpen();
    await expect(codeOf(loginWithPopup(world.client, { popup: null }))).resolves.toBe('popup_blocked');
    expect(open).not.toHaveBeenCalled();
    expect(world.provider.requests).toEqual([]);
  });

  it('the user closing the popup rejects popup_closed within a second, and stores nothing', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const login = loginWithPopup(world.client);
    await atProvider(popup);
    popup.closed = true;
    const outcome = codeOf(login);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(outcome).resolves.toBe('popup_closed');
    expect(world.client.state.status).toBe('anonymous');
    expect(popupMarkers()).toEqual([]);
    // The channel is closed: a callback now changes nothing.
    vi.useRealTimers();
    broadcast(stateOf(popup), { state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(world.client.state.status).toBe('anonymous');
  });

  it('a callback sent just before the popup closed itself still wins over popup_closed', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const login = loginWithPopup(world.client);
    await atProvider(popup);
    const url = world.provider.authorize(popup.location.href);
    popup.closed = true;
    await vi.advanceTimersByTimeAsync(500); // exactly one poll has read it closed
    popup.post({ state: stateOf(popup), url });
    await expect(login).resolves.toMatchObject({ kind: 'login' });
  });

  it('with cancelOnClose: false, a closed-looking popup keeps the login waiting until the callback', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const login = loginWithPopup(world.client, { cancelOnClose: false });
    let settled = false;
    void login.finally(() => (settled = true)).catch(() => undefined);
    await atProvider(popup);
    popup.closed = true;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(settled).toBe(false);
    vi.useRealTimers();
    broadcast(stateOf(popup), { state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await expect(login).resolves.toMatchObject({ kind: 'login' });
  });

  it('with cancelOnClose: false, a popup closed before it reached the provider still rejects popup_closed', async () => {
    const world = await setup();
    const popup = fakePopup();
    popup.closed = true; // the user closed the blank window at once
    stubWindowOpen(popup);
    await expect(codeOf(loginWithPopup(world.client, { cancelOnClose: false }))).resolves.toBe('popup_closed');
    expect(popup.location.href).toBe('');
    expect(popupMarkers()).toEqual([]);
  });

  it('with cancelOnClose: false, closing the blank popup while the provider is slow to answer rejects popup_closed', async () => {
    const world = await setup();
    world.provider.hooks.discovery = () => new Promise<Response>(() => undefined); // discovery hangs
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const outcome = codeOf(loginWithPopup(world.client, { cancelOnClose: false }));
    popup.closed = true;
    await vi.advanceTimersByTimeAsync(1000);
    await expect(outcome).resolves.toBe('popup_closed');
  });

  it('times out after timeoutMs with AuthError timeout, closing the popup', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const login = loginWithPopup(world.client, { timeoutMs: 60_000 });
    const outcome = codeOf(login);
    await atProvider(popup);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(popup.close).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    await expect(outcome).resolves.toBe('timeout');
    expect(popup.close).toHaveBeenCalled();
    expect(popupMarkers()).toEqual([]);
    await expect(login).rejects.toThrow(/^loginWithPopup: /);
  });

  it('waits five minutes by default; a late callback before then completes the login', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const login = loginWithPopup(world.client);
    await atProvider(popup);
    await vi.advanceTimersByTimeAsync(4 * 60_000 + 50_000); // a slow provider, a slow user
    vi.useRealTimers();
    popup.post({ state: stateOf(popup), url: world.provider.authorize(popup.location.href) });
    await expect(login).resolves.toMatchObject({ kind: 'login' });
  });

  it('rejects after the default five minutes', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    fakeTimers();
    const outcome = codeOf(loginWithPopup(world.client));
    await atProvider(popup);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await expect(outcome).resolves.toBe('timeout');
  });

  it('an abort signal rejects aborted, closes the popup and removes every listener', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    const controller = new AbortController();
    const removed = vi.spyOn(window, 'removeEventListener');
    const closedChannels = vi.spyOn(BroadcastChannel.prototype, 'close');
    const login = loginWithPopup(world.client, { signal: controller.signal });
    await atProvider(popup);
    controller.abort();
    await expect(codeOf(login)).resolves.toBe('aborted');
    expect(popup.close).toHaveBeenCalled();
    expect(removed.mock.calls.map(([type]) => type)).toContain('message');
    expect(closedChannels).toHaveBeenCalled();
    expect(popupMarkers()).toEqual([]);
  });

  it('an already aborted signal rejects aborted and starts no login', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    await expect(codeOf(loginWithPopup(world.client, { signal: AbortSignal.abort() }))).resolves.toBe('aborted');
    expect(popup.close).toHaveBeenCalled();
    expect(world.provider.requests).toEqual([]);
  });

  it('a callback after the login settled is ignored', async () => {
    const world = await setup();
    const popup = fakePopup();
    stubWindowOpen(popup);
    const controller = new AbortController();
    const login = loginWithPopup(world.client, { signal: controller.signal });
    await atProvider(popup);
    const url = world.provider.authorize(popup.location.href);
    controller.abort();
    await expect(codeOf(login)).resolves.toBe('aborted');
    popup.post({ state: stateOf(popup), url });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(world.provider.requests.filter((r) => r.url.endsWith('/token'))).toEqual([]);
    expect(world.client.state.status).toBe('anonymous');
  });
});
