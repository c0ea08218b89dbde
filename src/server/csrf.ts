import { header, type RequestLike } from './http-messages.js';

/**
 * The header the browser client sends on state-changing and token routes. A cross-site page cannot
 * add a custom header without a CORS preflight, which these routes never approve.
 */
export const CSRF_HEADER = 'x-oidc-session';

/**
 * True when a request comes from the app's own pages: it carries {@link CSRF_HEADER}, and the
 * browser's `Origin` and `Sec-Fetch-Site`, when present, say same-origin.
 */
export function isSameOriginRequest(request: RequestLike, appOrigin: string): boolean {
  if (header(request, CSRF_HEADER) !== '1') return false;
  const origin = header(request, 'origin');
  if (origin !== undefined && origin !== appOrigin) return false;
  const site = header(request, 'sec-fetch-site');
  return site === undefined || site === 'same-origin';
}
