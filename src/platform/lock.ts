/**
 * Runs `task` while holding the named cross-tab lock (Web Locks API), so that only one tab at a time
 * spends a refresh token. Where the API is missing (old browsers, Node) the task runs unguarded: the
 * in-tab single-flight in the client still holds.
 */
export async function withLock<T>(name: string, timeoutMs: number, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  if (!locks) return task();
  let started = false;
  try {
    return await locks.request(name, { signal: AbortSignal.timeout(timeoutMs) }, () => {
      started = true;
      return task();
    });
  } catch (error) {
    // A tab that froze while holding the lock must not block us forever: past the deadline we go
    // ahead, and the caller's re-read of storage keeps us from spending a token another tab rotated.
    if (started) throw error;
    return task();
  }
}
