import { AuthError } from '../errors/errors.js';

/** The session store (e.g. Redis) failed or did not answer in time. Routes answer 503; nothing was changed. */
export class SessionStoreError extends AuthError {
  override name = 'SessionStoreError';
  constructor(message: string) {
    super('storage_unavailable', message);
  }
}
