import { AuthError } from '../errors.js';

/**
 * Throws the one error every call gets outside a browser (server-side rendering, a Node script)
 * unless the app `supplied` what the browser would have given (storage, navigation, fetch): those
 * clients run anywhere, as the unit tests and native shells do.
 */
export function needBrowser(operation: string, supplied?: unknown): void {
  if (!supplied && typeof document === 'undefined') {
    throw new AuthError('browser_required', `${operation}: needs a browser; call it from browser code, not during server rendering`);
  }
}

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
