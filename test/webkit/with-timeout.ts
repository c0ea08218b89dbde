// Every WebDriver command goes through here: WebKitWebDriver has been seen to hang (once in ten session
// starts by hand), and a hang must fail the test that met it rather than stall the run.

/** Default time box for one WebDriver command, well inside a test's timeout. */
export const COMMAND_TIMEOUT_MS = 15_000;

/** Settles like `promise`, or rejects naming `what` once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`WebKit: ${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Resolves at `at` (epoch ms), at once if that has passed. */
export function sleepUntil(at: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
}
