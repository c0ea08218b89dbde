// @vitest-environment happy-dom
// The popup's side: the app's callback page recognises its own popup login by the key planted in its
// sessionStorage, hands the URL over both transports, cleans its address bar and closes itself; any other page load is left
// to handleRedirect().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handlePopupCallback } from '../../src/popup/index.js';
import { popupKey } from '../../src/popup/message.js';
import { openPage } from './fake-popup.js';

const STATE = 'st-123';
const CALLBACK = `https://rp.test/popup-callback?keep=1&code=abc&state=${STATE}&iss=https%3A%2F%2Fop.test`;

/** Collects what arrives on the login's BroadcastChannel. */
function listen(state = STATE) {
  const received: unknown[] = [];
  const channel = new BroadcastChannel(popupKey(state));
  channel.onmessage = (event) => void received.push(event.data);
  return { received, close: () => channel.close() };
}

/** A window that opened this one: same origin unless `origin` says otherwise (reading a foreign one's location throws). */
function fakeOpener(origin = 'https://rp.test') {
  const opener = {
    closed: false,
    postMessage: vi.fn(),
    get location() {
      if (origin !== 'https://rp.test') throw new DOMException('Blocked a frame', 'SecurityError');
      return { origin };
    },
  };
  Object.defineProperty(window, 'opener', { value: opener, configurable: true });
  return opener;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
let close: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  close = vi.spyOn(window, 'close').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  Object.defineProperty(window, 'opener', { value: null, configurable: true });
});

const KEY = 'k'.repeat(43);
/** The key loginWithPopup planted in this window's sessionStorage for its login. */
const planted = (state = STATE) => sessionStorage.setItem(popupKey(state), KEY);

describe('on a popup callback', () => {
  it('hands {state, url, key} over the channel, cleans the address bar, closes the window and returns true', async () => {
    openPage(CALLBACK);
    planted();
    const channel = listen();
    expect(handlePopupCallback()).toBe(true);
    await settle();
    channel.close();
    expect(channel.received).toEqual([{ state: STATE, url: CALLBACK, key: KEY }]);
    expect(location.href).toBe('https://rp.test/popup-callback?keep=1');
    expect(close).toHaveBeenCalled();
    // One hand-over: the key is gone from this window.
    expect(sessionStorage.getItem(popupKey(STATE))).toBeNull();
  });

  it('posts to a same-origin opener, for this origin only', () => {
    openPage(CALLBACK);
    planted();
    const opener = fakeOpener();
    expect(handlePopupCallback()).toBe(true);
    expect(opener.postMessage).toHaveBeenCalledWith({ state: STATE, url: CALLBACK, key: KEY }, 'https://rp.test');
  });

  it('posts nothing to an opener of another origin, and still uses the channel', async () => {
    openPage(CALLBACK);
    planted();
    const opener = fakeOpener('https://evil.test');
    const channel = listen();
    expect(handlePopupCallback()).toBe(true);
    await settle();
    channel.close();
    expect(opener.postMessage).not.toHaveBeenCalled();
    expect(channel.received).toHaveLength(1);
  });

  it('hands over an error response too (the opener turns it into an OAuthError)', () => {
    openPage(`https://rp.test/popup-callback?error=access_denied&state=${STATE}`);
    planted();
    expect(handlePopupCallback()).toBe(true);
  });
});

describe('on any other page load it does nothing and returns false', () => {
  it.each([
    ['no response in the URL', 'https://rp.test/popup-callback?keep=1'],
    ['a state without code or error', `https://rp.test/popup-callback?state=${STATE}`],
    ['a code without state', 'https://rp.test/popup-callback?code=abc'],
  ])('%s', (_, url) => {
    openPage(url);
    planted();
    fakeOpener();
    expect(handlePopupCallback()).toBe(false);
    expect(close).not.toHaveBeenCalled();
    expect(location.href).toBe(url);
  });

  it('a redirect login’s callback: no key for its state in this window', async () => {
    openPage(CALLBACK);
    planted('another-state');
    const channel = listen();
    expect(handlePopupCallback()).toBe(false);
    await settle();
    channel.close();
    expect(channel.received).toEqual([]);
    expect(close).not.toHaveBeenCalled();
    expect(location.href).toBe(CALLBACK); // left for handleRedirect()
  });

  it('a page another site opened with the live state (AR-13): no key here, so nothing to anyone, even with a same-origin opener', async () => {
    openPage(CALLBACK);
    // The app's other windows know of the login; this window was never given its key.
    localStorage.setItem(popupKey(STATE), '1');
    const opener = fakeOpener();
    const channel = listen();
    expect(handlePopupCallback()).toBe(false);
    await settle();
    channel.close();
    expect(opener.postMessage).not.toHaveBeenCalled();
    expect(channel.received).toEqual([]);
    expect(close).not.toHaveBeenCalled();
  });

  it('with storage blocked there is no key to prove anything: false, nothing sent', () => {
    openPage(CALLBACK);
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const opener = fakeOpener();
    expect(handlePopupCallback()).toBe(false);
    expect(opener.postMessage).not.toHaveBeenCalled();
  });
});
