import { AuthError } from '../errors/errors.js';

/**
 * The one error every call gets outside a browser (server-side rendering, a Node script), where the
 * client never starts, unless the app gave it what the browser would have (storage, fetch).
 */
export const browserRequired = (): AuthError =>
  new AuthError('browser_required', 'needs a browser: not available during server rendering');
