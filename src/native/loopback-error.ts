import { AuthError } from '../errors/errors.js';

/** Why a loopback listener stopped waiting without a callback. */
export type LoopbackStopReason = 'timeout' | 'aborted';

/**
 * A loopback listener stopped waiting before the browser brought the login response back: the
 * `timeoutMs` deadline passed (code and `reason` `timeout`), or the app ended the wait through its
 * `signal` or `close()` (`aborted`). No session was created; start a new login to try again.
 */
export class LoopbackError extends AuthError {
  override name = 'LoopbackError';
  /** `timeout` or `aborted`; see {@link LoopbackStopReason}. */
  readonly reason: LoopbackStopReason;

  constructor(reason: LoopbackStopReason, message: string, cause?: unknown) {
    super(reason, message);
    this.reason = reason;
    if (cause !== undefined) this.cause = cause;
  }
}
