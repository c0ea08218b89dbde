import { ConfigError } from '../../errors/errors.js';
import type { SessionStore } from './store.js';

/**
 * The Redis clients this store drives: node-redis v4/v5 (`createClient()`) or ioredis. Only raw
 * commands are used, so either works without this package depending on one.
 */
export type RedisClient =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** A connected node-redis or ioredis client. Give it an `error` listener: an unhandled one ends the process. */
  client: RedisClient;
  /** Prefix of every key. Default `oidc-session:`. */
  prefix?: string;
}

// Deletes the lock only if it is still ours: a lock that expired and was taken by another process stays.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Sessions in Redis, shared by every process that uses the same server and prefix: they survive
 * restarts, and a logout on one instance ends the session on all of them. Entries expire with Redis
 * TTLs, so nothing needs cleaning up. Keys are hashes, never session ids (see `SessionStore`).
 *
 * The per-user session cap holds here too: the session server keeps each user's sessions in a `u:`
 * entry and ends the oldest at login. Two logins of one user racing on two processes may both stay,
 * exceeding the cap by the logins that raced. Redis's own eviction (`maxmemory-policy`) knows nothing
 * of sessions: prefer `noeviction` or `volatile-ttl` with enough memory; an entry Redis drops anyway is
 * a signed-out session (or one whose `GET token` asks for a new login), never another user's.
 */
export function redisStore(options: RedisStoreOptions): SessionStore {
  const client = options?.client as Record<string, unknown> | undefined;
  // `call` first: ioredis has a `sendCommand` too, but it takes its own Command objects, not arrays.
  const send =
    typeof client?.call === 'function'
      ? (args: string[]) => (client.call as (...a: string[]) => Promise<unknown>).apply(client, args)
      : typeof client?.sendCommand === 'function'
        ? (args: string[]) => (client.sendCommand as (a: string[]) => Promise<unknown>).call(client, args)
        : undefined;
  if (!send) throw new ConfigError('client', 'expected a node-redis or ioredis client');
  const prefix = options.prefix ?? 'oidc-session:';
  const ms = (ttl: number) => String(Math.max(1, Math.ceil(ttl)));

  return {
    kind: 'store',
    get: async (key) => {
      const value = await send(['GET', prefix + key]);
      return typeof value === 'string' ? value : value == null ? undefined : String(value);
    },
    set: async (key, value, ttlMs) => void (await send(['SET', prefix + key, value, 'PX', ms(ttlMs)])),
    update: async (key, value, ttlMs) => (await send(['SET', prefix + key, value, 'PX', ms(ttlMs), 'XX'])) != null,
    touch: async (key, ttlMs) => Number(await send(['PEXPIRE', prefix + key, ms(ttlMs)])) === 1,
    delete: async (keys) => void (keys.length && (await send(['DEL', ...keys.map((key) => prefix + key)]))),
    lock: async (key, ttlMs) => {
      const token = crypto.randomUUID();
      const taken = await send(['SET', prefix + key, token, 'PX', ms(ttlMs), 'NX']);
      if (taken == null) return undefined;
      return async () => void (await send(['EVAL', RELEASE, '1', prefix + key, token]));
    },
  };
}
