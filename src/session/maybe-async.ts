/** A value that storage adapters may return directly or as a promise. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Applies `fn` now when `value` is plain, later when it is a promise. Lets a synchronous store
 * (sessionStorage) restore the session in the same tick, so apps do not flash a loading state.
 */
export function mapMaybeAsync<T, R>(value: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
  // Any thenable counts as a promise.
  return typeof (value as { then?: unknown } | null)?.then === 'function' ? Promise.resolve(value).then(fn) : fn(value as T);
}
