import type { LoginOptions, LoginResult } from '../client/client.js';
import { browserRequired } from '../platform/browser.js';
import { openPopup } from './open-popup.js';
import { popupError, watchPopup } from './watch-popup.js';

/** The one method {@link loginWithPopup} needs from a client (`AuthClient` has it). */
export interface PopupLoginClient {
  login(options: LoginOptions): Promise<LoginResult | undefined>;
}

/** Options of {@link loginWithPopup}: those of `login()` but `navigate`, and the popup's own. */
export interface PopupLoginOptions extends Omit<LoginOptions, 'navigate'> {
  /**
   * The redirect URI for this login: the app's popup callback page (which calls
   * {@link handlePopupCallback}), registered at the provider. Default: the client's `redirectUri`.
   */
  redirectUri?: string;
  /**
   * A window the app opened itself, synchronously in its click handler (`window.open('', '_blank',
   * features)`), e.g. to size it or to open it before an `await`. Default: a 500×640 popup centred
   * over this window, opened within this call. It must still be blank (opened with `''`): the
   * login writes the popup's key into it before sending it to the provider. `null` (what a blocked
   * `window.open` returns) rejects with `popup_blocked`.
   */
  popup?: Window | null;
  /** How long the user has, from this call until the callback arrives, in ms. Default 300 000 (5 minutes). */
  timeoutMs?: number;
  /** Cancels the login while the popup is open: it closes, and the call rejects with `aborted`. */
  signal?: AbortSignal;
  /**
   * Whether the popup reading `closed` means the user closed it: the call then rejects with
   * `popup_closed`. Default `true`. Set `false` for providers whose sign-in pages send a
   * `Cross-Origin-Opener-Policy` (Microsoft Entra ID does): it cuts the popup off from this window,
   * which then reads it as closed while the user is still signing in. The login then settles when
   * the callback arrives (over a BroadcastChannel), at `timeoutMs`, or on `signal`: give the user a
   * Cancel button wired to `signal`. Closing the popup before it reached the provider is noticed
   * either way.
   */
  cancelOnClose?: boolean;
}

/**
 * Signs the user in in a popup window, leaving this page where it is. Call it from a click handler:
 * the popup opens synchronously, before anything is awaited, or browsers block it. The provider
 * sends the popup back to the app's callback page, whose {@link handlePopupCallback} hands the URL
 * to this window; this window validates it, redeems the code and stores the session, exactly as
 * `login()` would, then closes the popup.
 *
 * ```ts
 * button.onclick = () => loginWithPopup(auth, { redirectUri: `${location.origin}/popup-callback` }).then(({ user }) => show(user));
 * ```
 *
 * @returns the completed login, as `handleCallback()` resolves it.
 * @throws {@link AuthError} `popup_blocked` at once when the browser blocked the window (no login is
 *   started; fall back to `login()`) or when the popup cannot be given its key (not a blank window
 *   of this page, storage blocked); `browser_required` outside a browser (server rendering);
 *   `popup_closed` when the user closed it, `timeout` after `timeoutMs`, `aborted` on `signal`; and
 *   whatever `login()` and `handleCallback()` throw (an `OAuthError` `access_denied` when the user
 *   declined). The popup is closed in every case.
 */
export function loginWithPopup(client: PopupLoginClient, options: PopupLoginOptions = {}): Promise<LoginResult> {
  // Synchronous, as the popup must open within the click; a rejection, as every call outside a browser.
  if (typeof window === 'undefined') return Promise.reject(browserRequired());
  const { popup = openPopup(), timeoutMs = 300_000, signal, cancelOnClose = true, ...login } = options;
  if (!popup) return Promise.reject(popupError('popup_blocked', 'the browser blocked the popup'));
  if (signal?.aborted) {
    popup.close();
    return Promise.reject(popupError('aborted', 'aborted'));
  }
  const watch = watchPopup(popup, { timeoutMs, signal, cancelOnClose });
  // login() resolves with a result because navigate resolves with the callback URL.
  const result = client.login({ ...login, navigate: watch.navigate }) as Promise<LoginResult>;
  return Promise.race([result, watch.failed]).finally(watch.stop);
}
