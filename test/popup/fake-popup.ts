// A popup window as loginWithPopup sees it, under the test's control: what it was pointed at, whether
// it reads closed, and a way to post to the opener as the callback page would.
import { vi } from 'vitest';
import { popupKey } from '../../src/popup/message.js';

export interface FakePopup {
  closed: boolean;
  location: { href: string };
  close: ReturnType<typeof vi.fn>;
  focus: () => void;
  /** What the popup's callback page posts with postMessage; `origin` and `source` are forgeable here. */
  post(data: unknown, from?: { origin?: string; source?: unknown }): void;
}

export function fakePopup(): FakePopup {
  const popup: FakePopup = {
    closed: false,
    location: { href: '' },
    close: vi.fn(() => void (popup.closed = true)),
    focus: () => undefined,
    post(data, from = {}) {
      const init = { data, origin: from.origin ?? location.origin, source: ('source' in from ? from.source : popup) as Window | null };
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

/** Posts over the login's BroadcastChannel, as a callback page cut off from its opener (COOP) does. */
export function broadcast(state: string, data: unknown): void {
  const channel = new BroadcastChannel(popupKey(state));
  channel.postMessage(data);
  channel.close();
}

/** Puts the page at `url`, as a navigation there would. */
export function openPage(url: string): void {
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
}

/** The `state` of the authorization URL a popup was pointed at. */
export const stateOf = (popup: FakePopup): string => new URL(popup.location.href).searchParams.get('state') ?? '';
