/** Calls app code (a listener); a throw is reported as an uncaught error would be, without unwinding our stack. */
export function callSafely<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  try {
    fn(...args);
  } catch (error) {
    if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
    else console.error(error);
  }
}
