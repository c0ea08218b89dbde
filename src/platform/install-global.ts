/**
 * Puts a CDN build's exports on `window.OidcSession`, unless something is there already. The first
 * copy on a page stays: a second one (the other CDN build, or the same file loaded twice) would
 * otherwise silently swap the `AuthClient` under code that already holds clients of the first. It is
 * refused with a console error instead, so the mistake shows in development.
 */
export function installGlobal(exports: object): void {
  const page = globalThis as { OidcSession?: object };
  if (page.OidcSession) console.error('OidcSession already loaded: copy ignored');
  else page.OidcSession = exports;
}
