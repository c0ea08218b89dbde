/**
 * The popup's key: a random value the opener writes into the popup's own sessionStorage while the
 * popup is still its blank window (same origin), before sending it to the provider. sessionStorage
 * belongs to the window and survives its navigations, also through a Cross-Origin-Opener-Policy that
 * cuts `window.opener`; no other window has it. So the app's callback page finds the key only when it
 * is loaded in the popup this login opened, and the key it hands back proves that to the opener: a
 * page another site opened with the same `state` (which is no secret once it is in a URL) has none.
 */
import { popupKey } from './message.js';

/** Writes `key` into the popup's sessionStorage; false when it cannot (storage blocked, not a blank window of this origin). */
export function plantKey(popup: Window, state: string, key: string): boolean {
  try {
    popup.sessionStorage.setItem(popupKey(state), key);
    return true;
  } catch {
    return false;
  }
}

/** The key this window was given for `state`, removed as it is read (one hand-over per login). */
export function takeKey(state: string): string | null {
  try {
    const key = sessionStorage.getItem(popupKey(state));
    sessionStorage.removeItem(popupKey(state));
    return key;
  } catch {
    return null;
  }
}
