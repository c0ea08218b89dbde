/** Helpers for reading records back from storage, which is untrusted input like any response. */

/** The JSON object stored in `raw`, or `undefined` for anything else (too long, not JSON, not an object). */
export function parseStoredObject(raw: unknown, maxLength: number): Record<string, unknown> | undefined {
  if (typeof raw !== 'string' || raw.length > maxLength) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A non-empty string of at most `maxLength` characters. */
export function isBoundedString(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

/** A finite number, 0 or more. */
export function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value < Infinity;
}
