// One back-off policy for every failed refresh, in the browser and on the session server: which
// failures are transient, and when the next attempt is allowed.

/** Consecutive transient failures wait 4, 8, 16, 32 s, then 60 s each (at most four tries a minute). */
const FIRST_WAIT_MS = 4_000;
const LONGEST_WAIT_MS = 60_000;
/** A provider's `Retry-After` is honoured up to an hour: a larger value is a misconfiguration, not a plan. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * True for answers that say "try again later" rather than "no": 429 and every 5xx. A refresh that
 * met one keeps the session and backs off; it never ends the session.
 */
export function isTransientStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status < 600);
}

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date, RFC 9110 §10.2.3),
 * capped at an hour; 0 when absent or unreadable.
 */
export function retryAfterMs(header: string | null | undefined, now: number): number {
  if (!header) return 0;
  const text = header.trim();
  const ms = /^\d{1,10}$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : 0;
}

/**
 * The instant (epoch ms) before which no new attempt is made after `failures` consecutive transient
 * failures (1 for the first), honouring the provider's `Retry-After` when it asks for longer.
 */
export function nextAttemptAt(now: number, failures: number, retryAfter = 0): number {
  const backoff = Math.min(FIRST_WAIT_MS * 2 ** Math.max(0, failures - 1), LONGEST_WAIT_MS);
  return now + Math.max(backoff, retryAfter);
}
