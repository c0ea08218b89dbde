import { replaceHref } from './platform/location.js';

/**
 * Reads the page a logout came back to, given the `state` this tab sent to the end-session endpoint
 * (kept until now): `logout` when the provider returned that state, or none (a provider without an
 * end-session endpoint, or one that drops it); `none` for any other state, which is forged or belongs
 * to another logout (OIDC conformance `rp-init-logout-other-state`). The `state` is removed from the
 * address bar either way, so that nothing takes it for a login callback.
 */
export function logoutReturn(page: URL, sent: string, fromPage: boolean): { kind: 'logout' | 'none' } {
  const back = page.searchParams.get('state');
  if (back !== null && fromPage) {
    page.searchParams.delete('state');
    replaceHref(page.href);
  }
  return { kind: back === null || back === sent ? 'logout' : 'none' };
}
