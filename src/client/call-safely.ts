/** Calls app code (a listener); a throw is reported as an uncaught error would be, without unwinding our stack. */
export function callSafely<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  try {
    fn(...args);
  } catch (error) {
    // Every browser has reportError (2022+); elsewhere the error is dropped rather than thrown at us.
    globalThis.reportError?.(error);
  }
}
