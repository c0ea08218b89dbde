import { AuthError } from '../errors/errors.js';

// Said with every "cannot work here": the ways to a session that do not need the provider in a frame.
const INSTEAD =
  '. Renew with refresh tokens (the default), sign in with a popup or a redirect, or serve the provider on the app\'s site';

/** The `silent_unavailable` error: silent sign-in cannot work on this page, `why` says what stops it. */
export const unavailable = (why: string): AuthError => new AuthError('silent_unavailable', `silent sign-in unavailable: ${why}${INSTEAD}`);

/** The `aborted` error, for an AbortSignal that fired. */
export const aborted = (): AuthError => new AuthError('aborted', 'silent sign-in: aborted');
