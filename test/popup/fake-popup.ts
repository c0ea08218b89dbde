// A popup window as loginWithPopup sees it, under the test's control: what it was pointed at, whether
// it reads closed, and a way to post to the opener as the callback page would.
import { vi } from 'vitest';
import { popupKey } from '../../src/popup/message.js';

export interface FakePopup {
  closed: boolean;
  /** The popup's own sessionStorage, where loginWithPopup plants its key. */
  sessionStorage: Pick<Storage, 'setItem' | 'getItem'>;
  location: { href: string };
  close: ReturnType<typeof vi.fn>;
  focus: () => void;
  /**
   * What the popup's callback page posts with postMessage; `origin` and `source` are forgeable here.
   * An object without a `key` gets the key planted for its `state`, as the real page sends it.
   */
  post(data: unknown, from?: { origin?: string; source?: unknown }): void;
}

/** Every key loginWithPopup planted in a fake popup, by state. */
export const plantedKeys = new Map<string, string>();

/** `data` with the planted key of its state added, unless it names a `key` itself. */
const withKey = (data: unknown): unknown =>
  typeof data === 'object' && data !== null && !Array.isArray(data) && !('key' in data)
    ? { ...data, key: plantedKeys.get(String((data as { state?: unknown }).state)) }
    : data;

export function fakePopup(): FakePopup {
  const popup: FakePopup = {
    closed: false,
    location: { href: '' },
    close: vi.fn(() => void (popup.closed = true)),
    focus: () => undefined,
    sessionStorage: {
      setItem: (key, value) => void plantedKeys.set(key.slice(key.lastIndexOf(':') + 1), value),
      getItem: (key) => plantedKeys.get(key.slice(key.lastIndexOf(':') + 1)) ?? null,
    },
    post(data, from = {}) {
      const init = { data: withKey(data), origin: from.origin ?? location.origin, source: ('source' in from ? from.source : popup) as Window | null };
      window.dispatchEvent(new MessageEvent('message', init));
    },
  };
  return popup;
}

/** Makes window.open return these popups, one per call, then null (blocked). */
export function stubWindowOpen(...popups: Array<FakePopup | null>) {
  const open = vi.spyOn(window, 'open');
  for (const popup of popups) open.mockReturnValueOnce(popup as unknown as Window | null);
  open.mockReturnValue(null);
  return open;
}

/**
 * Posts over the login's BroadcastChannel, as a callback page cut off from its opener (COOP) does
 * (with the planted key added, as for `post`).
 */
export function broadcast(state: string, data: unknown): void {
  const channel = new BroadcastChannel(popupKey(state));
  channel.postMessage(withKey(data));
  channel.close();
}

/** Puts the page at `url`, as a navigation there would. */
export function openPage(url: string): void {
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
}

/** The `state` of the authorization URL a popup was pointed at. */
export const stateOf = (popup: FakePopup): string => new URL(popup.location.href).searchParams.get('state') ?? '';
