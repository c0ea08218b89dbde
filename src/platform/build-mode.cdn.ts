/**
 * The script-tag builds' answer (tsup.config.ts swaps it in for build-mode.ts): a page that loads the
 * SDK from a CDN has no bundler to say "production", so it always counts as development, as the
 * bundled check would conclude at run time.
 */
export function isDevelopment(): boolean {
  return true;
}
