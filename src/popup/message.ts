/**
 * What the popup's callback page hands to the window that opened it: the callback URL, its `state`,
 * and the key the opener gave the popup (popup-key.ts), nothing else (never a token; the opener redeems
 * the code with its own PKCE verifier).
 */
export interface PopupMessage {
  readonly state: string;
  readonly url: string;
  readonly key: string;
}

/**
 * The name of one pending popup login: its key's sessionStorage entry and its BroadcastChannel. Keyed by
 * `state`, which is no secret once it is in a URL, so two popups at once never hear each other.
 */
export const popupKey = (state: string): string => `oidc-session:popup:${state}`;

// Far above any real login response (the core refuses parameters over 4 KiB each): longer is junk.
const MAX_URL_LENGTH = 16_384;

/** True for a login response (RFC 6749 §4.1.2): `state` with a `code` or an `error`. */
export const isLoginResponse = (url: URL): boolean =>
  url.searchParams.has('state') && (url.searchParams.has('code') || url.searchParams.has('error'));

/**
 * The callback URL in `data` when it is the response to the login with this `state`, sent with the
 * popup's `key`; otherwise undefined. Messages come from other windows and other scripts: anything
 * unexpected is ignored.
 */
export function callbackUrl(data: unknown, state: string, key: string): string | undefined {
  const message = (typeof data === 'object' && data) || {};
  const { state: sent, url, key: proof } = message as Partial<Record<keyof PopupMessage, unknown>>;
  if (sent !== state || proof !== key || typeof url !== 'string' || url.length > MAX_URL_LENGTH) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return parsed.searchParams.get('state') === state && isLoginResponse(parsed) ? url : undefined;
}
