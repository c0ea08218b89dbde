import { AuthError, ConfigError } from '../errors/errors.js';

/** The part of `chrome.identity` (`browser.identity` in Firefox) that opens the provider's pages. */
export interface IdentityApi {
  launchWebAuthFlow(details: { url: string; interactive?: boolean }): Promise<string | undefined>;
}

/**
 * The `navigate` option for a browser extension: opens the provider's page in the browser's auth
 * window (`identity.launchWebAuthFlow`, interactive), which closes by itself once the provider
 * redirects to `https://<extension-id>.chromiumapp.org/...`, and resolves with that URL, so `login()`
 * completes the login and `logout()` settles when the provider is done. The redirect URI is
 * `chrome.identity.getRedirectURL('callback')`, registered at the provider, which must also allow the
 * extension's origin (`chrome-extension://<id>`) to call its token endpoint (CORS).
 *
 * ```ts
 * new AuthClient({ ...options, redirectUri: chrome.identity.getRedirectURL('callback'), navigate: webAuthFlow(), storage: extensionStorage() });
 * ```
 *
 * A window the user closes, or a page that fails to load, rejects with `AuthError` `aborted` and the
 * browser's reason in the message ("The user did not approve access."); nothing is stored. Without the
 * `identity` permission it rejects with a `ConfigError` naming `navigate`.
 */
export function webAuthFlow(identity?: IdentityApi): (url: string) => Promise<string | undefined> {
  return (url) => {
    const scope = globalThis as { chrome?: { identity?: IdentityApi }; browser?: { identity?: IdentityApi } };
    const api = identity ?? scope.chrome?.identity ?? scope.browser?.identity;
    if (!api) return Promise.reject(new ConfigError('navigate', 'chrome.identity is not available here (add the "identity" permission)'));
    return api.launchWebAuthFlow({ url, interactive: true }).catch((error: unknown) => {
      throw new AuthError('aborted', `auth window: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
}
