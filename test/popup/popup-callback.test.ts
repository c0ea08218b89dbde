// @vitest-environment happy-dom
// The popup's side: the app's callback page recognises a popup login by its marker (or opener), hands
// the URL over both transports, cleans its address bar and closes itself; any other page load is left
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
function fakeOpener(origin = 'https://rp.test', storage?: Storage) {
  const opener = {
    closed: false,
    postMessage: vi.fn(),
    get location() {
      if (origin !== 'https://rp.test') throw new DOMException('Blocked a frame', 'SecurityError');
      return { origin };
    },
    localStorage: storage,
  };
  Object.defineProperty(window, 'opener', { value: opener, configurable: true });
  return opener;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
let close: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  localStorage.clear();
  close = vi.spyOn(window, 'close').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  Object.defineProperty(window, 'opener', { value: null, configurable: true });
});

describe('on a popup callback', () => {
  it('hands {state, url} over the channel, cleans the address bar, closes the window and returns true', async () => {
    openPage(CALLBACK);
    localStorage.setItem(popupKey(STATE), '1');
    const channel = listen();
    expect(handlePopupCallback()).toBe(true);
    await settle();
    channel.close();
    expect(channel.received).toEqual([{ state: STATE, url: CALLBACK }]);
    expect(location.href).toBe('https://rp.test/popup-callback?keep=1');
    expect(close).toHaveBeenCalled();
    expect(localStorage.getItem(popupKey(STATE))).toBeNull();
  });

  it('posts to a same-origin opener, for this origin only', () => {
    openPage(CALLBACK);
    localStorage.setItem(popupKey(STATE), '1');
    const opener = fakeOpener();
    expect(handlePopupCallback()).toBe(true);
    expect(opener.postMessage).toHaveBeenCalledWith({ state: STATE, url: CALLBACK }, 'https://rp.test');
  });

  it('hands over an error response too (the opener turns it into an OAuthError)', () => {
    openPage(`https://rp.test/popup-callback?error=access_denied&state=${STATE}`);
    localStorage.setItem(popupKey(STATE), '1');
    expect(handlePopupCallback()).toBe(true);
  });

  it('knows a popup by the marker in the opener’s storage (an app in a third-party iframe)', () => {
    openPage(CALLBACK);
    const openerStorage = { getItem: (key: string) => (key === popupKey(STATE) ? '1' : null) } as Storage;
    const opener = fakeOpener('https://rp.test', openerStorage);
    expect(handlePopupCallback()).toBe(true);
    expect(opener.postMessage).toHaveBeenCalled();
  });

  it('with storage blocked, a same-origin opener is enough', () => {
    openPage(CALLBACK);
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const opener = fakeOpener();
    Object.defineProperty(opener, 'localStorage', {
      get() {
        throw new DOMException('blocked', 'SecurityError');
      },
    });
    expect(handlePopupCallback()).toBe(true);
    expect(opener.postMessage).toHaveBeenCalled();
  });
});

describe('on any other page load it does nothing and returns false', () => {
  it.each([
    ['no response in the URL', 'https://rp.test/popup-callback?keep=1'],
    ['a state without code or error', `https://rp.test/popup-callback?state=${STATE}`],
    ['a code without state', 'https://rp.test/popup-callback?code=abc'],
  ])('%s', (_, url) => {
    openPage(url);
    localStorage.setItem(popupKey(STATE), '1');
    fakeOpener();
    expect(handlePopupCallback()).toBe(false);
    expect(close).not.toHaveBeenCalled();
    expect(location.href).toBe(url);
  });

  it('a redirect login’s callback: no marker for its state, no opener', async () => {
    openPage(CALLBACK);
    localStorage.setItem(popupKey('another-state'), '1');
    const channel = listen();
    expect(handlePopupCallback()).toBe(false);
    await settle();
    channel.close();
    expect(channel.received).toEqual([]);
    expect(close).not.toHaveBeenCalled();
    expect(location.href).toBe(CALLBACK); // left for handleRedirect()
  });

  it('a redirect login in a window the app opened: its opener has no marker for it', () => {
    openPage(CALLBACK);
    const opener = fakeOpener('https://rp.test', { getItem: () => null } as unknown as Storage);
    expect(handlePopupCallback()).toBe(false);
    expect(opener.postMessage).not.toHaveBeenCalled();
  });

  it('an opener on another origin is not trusted, even with storage blocked', () => {
    openPage(CALLBACK);
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    const opener = fakeOpener('https://evil.test');
    expect(handlePopupCallback()).toBe(false);
    expect(opener.postMessage).not.toHaveBeenCalled();
  });
});
