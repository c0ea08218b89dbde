import { AuthError } from '../errors/errors.js';

/**
 * The one error every call gets outside a browser (server-side rendering, a Node script), where the
 * client never starts, unless the app gave it what the browser would have (storage, fetch).
 */
export const browserRequired = (): AuthError =>
  new AuthError('browser_required', 'needs a browser: not available during server rendering');

declare const process: { env: { NODE_ENV?: string } };

/**
 * True unless a bundler built the app for production: bundlers replace `process.env.NODE_ENV`, and a
 * page without one (a script tag, an import map) throws on `process` and counts as development.
 */
export function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return true;
  }
}
