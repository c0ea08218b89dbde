/** The browser's address bar, touched only when a flow runs (never at import or construction). */

/** Navigates the whole page, as a login or logout redirect must. */
export function assignLocation(url: string): void {
  globalThis.location.assign(url);
}

/** The current page URL, or `undefined` outside a browser. */
export function currentHref(): string | undefined {
  return globalThis.location?.href;
}

/** Rewrites the address bar without a navigation or a new history entry. */
export function replaceHref(url: string): void {
  globalThis.history?.replaceState(history.state, '', url);
}
