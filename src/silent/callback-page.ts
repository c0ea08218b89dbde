import { FRAME_NAME, isResponse } from './response.js';

/**
 * For the app's silent-callback page (the `redirectUri` of {@link signInSilently}): call it first,
 * before the app starts. When this page is a silent sign-in's frame and holds the provider's
 * response, it hands the URL to the page that opened the frame and returns `true`: do nothing else
 * then (that page redeems the code; this one never does). Otherwise it returns `false`: run the app as
 * usual (an ordinary redirect login, a plain visit).
 *
 * ```ts
 * if (!handleSilentCallback()) startApp();
 * ```
 */
export function handleSilentCallback(): boolean {
  if (typeof window === 'undefined' || window.parent === window || window.name !== FRAME_NAME || !isResponse(location.href)) return false;
  // Delivered only if the parent is this origin: the code never reaches a page that framed us.
  window.parent.postMessage(location.href, location.origin);
  return true;
}
