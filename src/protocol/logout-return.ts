/**
 * What the page a logout came back to is, given the `state` this tab sent to the end-session
 * endpoint (kept until now): `logout` when the provider returned that state, or none (a provider
 * without an end-session endpoint, or one that drops it); `none` for any other state, which is forged
 * or belongs to another logout (OIDC conformance `rp-init-logout-other-state`).
 */
export function logoutResult(page: URL, sent: string): { kind: 'logout' | 'none' } {
  const back = page.searchParams.get('state');
  return { kind: back === null || back === sent ? 'logout' : 'none' };
}
