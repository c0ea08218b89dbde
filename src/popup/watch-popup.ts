import { AuthError, type AuthErrorCode } from '../errors/errors.js';
import { plantKey } from './popup-key.js';
import { callbackUrl, popupKey } from './message.js';

/** How often `popup.closed` is read: no event says a window closed. */
const POLL_MS = 500;

/** What {@link watchPopup} needs to know. */
export interface WatchOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly cancelOnClose: boolean;
}

/** One popup login in flight, from the moment the window opened. */
export interface PopupWatch {
  /** Rejects with the reason the popup part failed: closed, timed out, aborted. Never resolves. */
  readonly failed: Promise<never>;
  /** The `navigate` for `login()`: points the popup at `url` and resolves with the callback URL. */
  navigate(url: string): Promise<string>;
  /** Ends the watch: timers, listeners and channel gone, the popup closed if still open. */
  stop(): void;
}

/** The AuthError a popup login fails with, its message naming the operation. */
export const popupError = (code: AuthErrorCode, what: string): AuthError => new AuthError(code, `loginWithPopup: ${what}`);

/**
 * Watches `popup` until the login's callback arrives or the popup part fails. The callback comes over
 * `postMessage` from the popup itself (checked: this origin, this window) or over a BroadcastChannel
 * named after the login's `state` (when a Cross-Origin-Opener-Policy on the provider's pages cut the
 * popup off from this window); only a login response for this `state` is taken. Once it has arrived,
 * nothing here fails the login any more: the code redemption has its own deadline.
 */
export function watchPopup(popup: Window, options: WatchOptions): PopupWatch {
  let state: string | undefined;
  // A secure context's (PKCE needs one too); not the core's generator, which would split its chunk.
  const key = crypto.randomUUID();
  let channel: BroadcastChannel | undefined;
  let closedBefore = false;
  let done = false;
  let deliver: (url: string) => void = () => undefined;
  let reject!: (error: AuthError) => void;
  const failed = new Promise<never>((_, no) => (reject = no));
  // The caller races it; a failure no one races any more must not surface as an unhandled rejection.
  failed.catch(() => undefined);

  const fail = (code: AuthErrorCode, what: string) => {
    if (done) return;
    stop();
    reject(popupError(code, what));
  };
  const receive = (data: unknown) => {
    const url = state === undefined || done ? undefined : callbackUrl(data, state, key);
    if (url) {
      stop();
      deliver(url);
    }
  };
  // Another window or origin may post anything: only this popup, on this origin, is heard.
  const onMessage = (event: MessageEvent) => {
    if (event.origin === location.origin && event.source === popup) receive(event.data);
  };
  const onAbort = () => fail('aborted', 'aborted');
  const timer = setTimeout(() => fail('timeout', `no callback within ${options.timeoutMs} ms`), options.timeoutMs);
  const poll = setInterval(() => {
    // Before it leaves for the provider, the popup is ours and `closed` is the truth. After, a
    // Cross-Origin-Opener-Policy on the provider's pages makes it read true while the user signs in:
    // `cancelOnClose: false` stops trusting it then. Closed on two reads in a row, so that a callback
    // the popup sent just before it closed itself still arrives first.
    if (!popup.closed || (state !== undefined && !options.cancelOnClose)) return;
    if (closedBefore) fail('popup_closed', 'the popup was closed');
    closedBefore = true;
  }, POLL_MS);
  options.signal?.addEventListener('abort', onAbort);
  addEventListener('message', onMessage);

  function stop(): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearInterval(poll);
    options.signal?.removeEventListener('abort', onAbort);
    removeEventListener('message', onMessage);
    channel?.close();
    // A popup cut off by COOP cannot be closed from here; its callback page closes itself.
    if (!popup.closed) popup.close();
  }

  return {
    failed,
    navigate(url) {
      // Still blank and ours: `closed` is the truth, and a closed window cannot be pointed anywhere.
      if (popup.closed) fail('popup_closed', 'the popup was closed');
      if (done) return failed;
      state = new URL(url).searchParams.get('state') ?? '';
      // Only the popup itself can prove it is the popup: without its key, no callback counts.
      if (!plantKey(popup, state, key)) fail('popup_blocked', 'the popup is not a blank window of this page, or storage is blocked');
      if (done) return failed;
      try {
        channel = new BroadcastChannel(popupKey(state));
        channel.onmessage = (event) => receive(event.data);
      } catch {
        // No BroadcastChannel (Safari before 15.4): postMessage only.
      }
      popup.location.href = url;
      return Promise.race([new Promise<string>((resolve) => (deliver = resolve)), failed]);
    },
    stop,
  };
}
