/**
 * The marker that tells the app's callback page it is a popup's: written by the opener before the
 * popup goes to the provider, read by {@link handlePopupCallback}, removed when the login settles.
 * localStorage, because the popup is another browsing context of the same origin (sessionStorage is
 * per tab) and may have lost `window.opener` to a Cross-Origin-Opener-Policy on the way.
 * It holds no secret: only that a login with this `state` is waiting in a popup.
 */
import { popupKey } from './message.js';

/** Records that a popup login with `state` is pending. Storage may be blocked: the opener check remains. */
export function markPending(state: string): void {
  try {
    localStorage.setItem(popupKey(state), '1');
  } catch {
    // Blocked storage: handlePopupCallback falls back to a same-origin window.opener.
  }
}

/** Forgets the marker of `state`. */
export function unmark(state: string): void {
  try {
    localStorage.removeItem(popupKey(state));
  } catch {
    // Nothing was written either.
  }
}

/**
 * Whether a popup login with `state` is pending in the storage of `from` (this window, or a same-origin
 * opener: an app in a third-party iframe has storage apart from its top-level popup's); undefined when
 * that storage cannot be read.
 */
export function isMarked(state: string, from: Window = window): boolean | undefined {
  try {
    return from.localStorage.getItem(popupKey(state)) !== null;
  } catch {
    return undefined;
  }
}
