import { AuthError, ConfigError, NetworkError } from '../errors/errors.js';
import { aborted, unavailable } from './errors.js';
import { FRAME_NAME, isResponse } from './response.js';

/**
 * Loads an authorization request in a hidden iframe and resolves with the response URL that the
 * app's silent-callback page hands back (see `handleSilentCallback`). Rejects on `signal`
 * (`aborted`) or at the deadline: `silent_unavailable` when the frame loaded a page it cannot read
 * (the provider's page or the browser's error page for a refused frame) and never came back,
 * `invalid_config` when it came back to a page of the app that did not answer, `timeout` when
 * nothing loaded at all. The frame, listeners and timer are gone on every outcome.
 */
export function loadInFrame(url: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  const request = new URL(url).searchParams;
  const state = request.get('state');
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted());
    // The answer comes back through a page of this origin: from any other the parent never gets it.
    if (new URL(request.get('redirect_uri') ?? '', location.href).origin !== location.origin) {
      return reject(new ConfigError('redirectUri', 'silent sign-in needs a page of this origin'));
    }
    const frame = document.createElement('iframe');
    let loaded: 'nothing' | 'foreign' | 'own' = 'nothing';
    const settle = (error: AuthError | undefined, href?: string) => {
      clearTimeout(timer);
      removeEventListener('message', onMessage);
      signal?.removeEventListener('abort', onAbort);
      frame.remove();
      if (error) reject(error);
      else resolve(href as string);
    };
    const onMessage = (event: MessageEvent) => {
      // Only our own page, in this very frame, with the answer to this very request.
      if (event.origin === location.origin && event.source && event.source === frame.contentWindow && isResponse(event.data, state)) {
        settle(undefined, event.data);
      }
    };
    const onAbort = () => settle(aborted());
    const timer = setTimeout(
      () =>
        settle(
          loaded === 'foreign'
            ? unavailable('the provider\'s page never led back to the app: it refuses to be framed (X-Frame-Options, CSP frame-ancestors), or it showed a page (an error, a redirect URI it does not know)')
            : loaded === 'own'
              ? new ConfigError('redirectUri', 'its page did not call handleSilentCallback() before anything else')
              : new NetworkError('timeout', `silent sign-in: no answer within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );
    addEventListener('message', onMessage);
    signal?.addEventListener('abort', onAbort);
    frame.addEventListener('load', () => {
      try {
        // Readable only while the frame shows a page of this origin.
        if (frame.contentWindow?.location.href !== 'about:blank') loaded = 'own';
      } catch {
        loaded = 'foreign';
      }
    });
    frame.name = FRAME_NAME;
    frame.hidden = true;
    frame.src = url;
    (document.body ?? document.documentElement).append(frame);
  });
}
