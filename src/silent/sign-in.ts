import type { AuthClient, LoginResult } from '../client/client.js';
import { ConfigError, LoginRequiredError, isAuthError, type OAuthError } from '../errors/errors.js';
import { browserRequired } from '../platform/browser.js';
import { aborted, unavailable } from './errors.js';
import { loadInFrame } from './frame.js';

/** What {@link signInSilently} needs of the client: an `AuthClient` from `oidc-session`. */
export type SilentClient = Pick<AuthClient, 'login' | 'getUser'>;

/** Options of {@link signInSilently}. */
export interface SilentSignInOptions {
  /**
   * The app's silent-callback page, which calls {@link handleSilentCallback} first: on this page's
   * origin and registered at the provider as a redirect URI. Default: the client's `redirectUri`
   * (that page must then call it before `handleRedirect()`).
   */
  redirectUri?: string;
  /** Same-origin path the {@link LoginResult} points back to. Default: the current page. */
  returnTo?: string;
  /** Extra authorization parameters (e.g. `{ login_hint: 'ada' }`); `prompt` is always `none`. */
  params?: Readonly<Record<string, string>>;
  /** How long the frame may take to bring the provider's answer back, in ms. Default 6000. */
  timeoutMs?: number;
  /** Aborting removes the frame and rejects with code `aborted` (until the answer is back). */
  signal?: AbortSignal;
}

// OIDC Core §3.1.2.6: the provider has a session only with the user's help, or none at all.
const NEEDS_USER = ['login_required', 'interaction_required', 'consent_required', 'account_selection_required'];

/**
 * Signs the user in without showing anything when they are still signed in at the provider: the
 * authorization request (`prompt=none`) runs in a hidden iframe that ends on the app's
 * silent-callback page, then the client redeems the code and stores the session as after `login()`.
 * Opt-in, typically once on first load while the state is `anonymous`; refresh tokens stay the way
 * a session is renewed.
 *
 * Outcomes:
 * - resolves with the {@link LoginResult} when the user is signed in;
 * - resolves with `undefined`, sending nothing, when the client already has a session: a check
 *   never replaces or ends one;
 * - rejects with a `LoginRequiredError` (code `login_required`, `cause` the provider's `OAuthError`)
 *   when the provider needs the user (`login_required`, `interaction_required`, `consent_required`,
 *   `account_selection_required`): call `login()`. A browser that blocks third-party cookies gets
 *   this answer too, since the provider then sees no session: a page cannot tell the two apart;
 * - rejects with an `AuthError` whose code is `silent_unavailable` when it cannot work here: the
 *   page is cross-origin isolated (answered at once), or the provider's page never led back to the
 *   app (it refuses to be framed, or showed a page); the message says what to use instead;
 * - rejects with `browser_required` outside a browser (server rendering), before anything else;
 * - rejects with `timeout` when nothing loaded by the deadline, `aborted` on `signal`, and what
 *   `login()` rejects with otherwise (another `OAuthError`, `ProtocolError`, `NetworkError`).
 *
 * A failure changes no session, state or event (a request the provider never answered leaves its
 * pending login behind, as an abandoned `login()` does). Not after the user signed out: with the
 * provider's session still alive (a local logout), it would sign them straight back in.
 */
export async function signInSilently(client: SilentClient, options: SilentSignInOptions = {}): Promise<LoginResult | undefined> {
  // Outside a browser (server rendering) there is no frame to load, whatever the client can do there.
  if (typeof document === 'undefined') throw browserRequired();
  const { timeoutMs = 6000, signal, params, ...login } = options;
  // Within setTimeout's range: a larger value would fire at once.
  if (!(timeoutMs > 0 && timeoutMs <= 600_000)) throw new ConfigError('timeoutMs', 'expected milliseconds, above 0 and at most 600000');
  if (signal?.aborted) throw aborted();
  // Waits for the session to be restored (and any callback on this page to be handled).
  if (await client.getUser()) return undefined;
  // COEP keeps a cross-origin frame from loading unless the provider opts in: no need to wait.
  if (globalThis.crossOriginIsolated) throw unavailable('this page is cross-origin isolated (COOP and COEP), where the provider cannot load in a frame');
  try {
    return await client.login({ ...login, params: { ...params, prompt: 'none' }, navigate: (url) => loadInFrame(url, timeoutMs, signal) });
  } catch (error) {
    if (isAuthError(error) && NEEDS_USER.includes((error as OAuthError).error)) {
      const message = `silent sign-in: the provider answered "${(error as OAuthError).error}": not signed in there, or the browser kept its cookies from the frame (third-party cookies blocked); call login()`;
      throw Object.assign(new LoginRequiredError(message), { cause: error });
    }
    throw error;
  }
}
