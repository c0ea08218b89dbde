import { isBoundedString, isNonNegative } from '../session/stored-json.js';

/**
 * What tabs tell each other. Only `session` carries tokens, and only over BroadcastChannel.
 * - `hello`: "send me the live session" (a new tab, or one that found its copy stale);
 * - `session`: a session record, newest wins (login, refresh, answer to hello);
 * - `changed`: the shared store changed, read it again;
 * - `logout`: the session ended.
 */
export type TabMessage =
  | { v: 1; from: string; type: 'hello' | 'changed' }
  | { v: 1; from: string; type: 'session'; record: unknown }
  | { v: 1; from: string; type: 'logout'; reason: 'user' | 'expired'; at: number };

/** Another tab's message, or `undefined` for anything malformed: tabs are untrusted input too. */
export function parseTabMessage(data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  return m.v === 1 &&
    isBoundedString(m.from, 64) &&
    (m.type === 'logout' ? (m.reason === 'user' || m.reason === 'expired') && isNonNegative(m.at) : m.type === 'hello' || m.type === 'changed' || m.type === 'session')
    ? (m as TabMessage)
    : undefined;
}
