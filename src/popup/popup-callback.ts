import { withoutResponseParams } from '../protocol/callback-url.js';
import { takeKey } from './popup-key.js';
import { isLoginResponse, popupKey, type PopupMessage } from './message.js';

/**
 * For the app's popup callback page, first thing: when this page is a login popup coming back from
 * the provider, hands its URL to the window that opened it, clears the address bar, closes the popup
 * and returns true: the page must then do nothing else (in particular not `handleRedirect()`: the
 * opener redeems the code, with the verifier only it holds). Returns false for any other page load,
 * and the app goes on as usual (`handleRedirect()`), so one page can serve as both redirect URI and
 * popup callback.
 *
 * The page knows it is a popup's by the key `loginWithPopup()` wrote into this window's
 * sessionStorage for the login's `state` (popup-key.ts): a page another site opened, even with the
 * right `state`, has none, and hands nothing over. The URL and the key go over `postMessage` to a
 * same-origin opener, to this origin only, and over a BroadcastChannel for the case where a
 * Cross-Origin-Opener-Policy on the provider's pages severed `window.opener`.
 */
export function handlePopupCallback(): boolean {
  if (typeof window === 'undefined') return false;
  const url = new URL(location.href);
  const state = url.searchParams.get('state');
  if (!state || !isLoginResponse(url)) return false;
  const key = takeKey(state);
  if (!key) return false;
  const message: PopupMessage = { state, url: url.href, key };
  sameOriginOpener()?.postMessage(message, location.origin);
  try {
    const channel = new BroadcastChannel(popupKey(state));
    channel.postMessage(message);
    channel.close();
  } catch {
    // No BroadcastChannel: postMessage only.
  }
  // The code must not stay in this window's history, even for the moment before it closes.
  history.replaceState(history.state, '', withoutResponseParams(url));
  // Allowed: script opened this window. The opener closes it too, unless COOP cut the two apart.
  window.close();
  return true;
}

/** `window.opener` when it is a page of this origin (reading a foreign one's location throws). */
function sameOriginOpener(): Window | undefined {
  try {
    const opener = window.opener as Window | null;
    return opener && !opener.closed && opener.location.origin === location.origin ? opener : undefined;
  } catch {
    return undefined;
  }
}
