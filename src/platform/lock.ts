/**
 * Runs `task` while holding the named cross-tab lock (Web Locks API), so that only one tab at a time
 * spends a refresh token. Where the API is missing (old browsers, Node) the task runs unguarded: the
 * in-tab single-flight in the client still holds.
 */
export async function withLock<T>(name: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return task();
  try {
    return await locks.request(name, { signal: AbortSignal.timeout(timeoutMs) }, task);
  } catch (error) {
    // Only a wait that timed out is recovered; a failure of the task itself is the caller's.
    if ((error as { name?: string })?.name !== 'TimeoutError') throw error;
    // A tab that froze or hung while holding the lock must not block every other tab: take the lock
    // from it. The caller re-reads the session under the lock, so a token the holder already rotated
    // is never spent twice.
    return locks.request(name, { steal: true }, task);
  }
}
