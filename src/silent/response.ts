/**
 * What the parent and its silent-callback page agree on: the frame's name, and what a login
 * response looks like.
 */

/**
 * The hidden frame's name. The callback page answers only inside a frame of that name, so an app
 * that is itself embedded (same origin) still completes its ordinary redirect logins.
 */
export const FRAME_NAME = 'oidc-session-silent';

/**
 * True when `href` is a login response (RFC 6749 §4.1.2: `state` with a `code` or an `error`), and
 * when `state` is given, the response to that request only.
 */
export function isResponse(href: unknown, state?: string | null): href is string {
  let params: URLSearchParams;
  try {
    params = new URL(href as string).searchParams;
  } catch {
    return false;
  }
  const answered = params.get('state');
  return !!answered && (state === undefined || answered === state) && (params.has('code') || params.has('error'));
}
