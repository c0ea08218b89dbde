import { ConfigError } from '../../errors/errors.js';
import type { SessionStore } from './store.js';

/**
 * The Redis clients this store drives, through raw commands only (so this package depends on none):
 * node-redis v4/v5 `createClient()`, `createCluster()` or `createSentinel()`, and ioredis `Redis`
 * (standalone or with `sentinels`) or `Cluster`.
 */
export type RedisClient =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>; getSlotMaster(slot: number): unknown }
  | { sendCommand(isReadonly: boolean, args: string[]): Promise<unknown>; getSentinelNode(): unknown }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** A connected node-redis or ioredis client. Give it an `error` listener: an unhandled one ends the process. */
  client: RedisClient;
  /** Prefix of every key. Default `oidc-session:`. Must not contain `{`: it would become the cluster hash tag of every key. */
  prefix?: string;
}

// Deletes the lock only if it is still ours: a lock that expired and was taken by another process stays.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

type Send = (key: string, args: string[]) => Promise<unknown>;

/** Sends raw commands with the client's own signature; `key` is the command's (first) key, for cluster routing. */
function sender(client: Record<string, unknown> | undefined): Send | undefined {
  const call = client?.call;
  const sendCommand = client?.sendCommand;
  // `call` first: ioredis (`Redis`, `Cluster`) has a `sendCommand` too, but it takes its own Command objects.
  if (typeof call === 'function') return (_key, args) => call.apply(client, args);
  if (typeof sendCommand !== 'function') return undefined;
  // node-redis `createCluster()` routes by the key it is given; not read-only, so reads go to the
  // master too and see the writes just made (replicas lag).
  if (typeof client?.getSlotMaster === 'function') return (key, args) => sendCommand.call(client, key, false, args);
  // node-redis `createSentinel()`: not read-only, so the current master answers.
  if (typeof client?.getSentinelNode === 'function') return (_key, args) => sendCommand.call(client, false, args);
  return (_key, args) => sendCommand.call(client, args);
}

/**
 * Sessions in Redis, shared by every process that uses the same server and prefix: they survive
 * restarts, and a logout on one instance ends the session on all of them. Entries expire with Redis
 * TTLs, so nothing needs cleaning up. Keys are hashes, never session ids (see `SessionStore`).
 *
 * Redis keys are `<prefix><kind>:{<h>}`: the hash tag `{<h>}` puts one session's entries (and each
 * index) in one Redis Cluster hash slot, and no command spans two slots, so the store works unchanged
 * on a single server, behind Sentinel, and on a Cluster (node-redis `createCluster()`/`createSentinel()`,
 * ioredis `Cluster` or `Redis` with `sentinels`). Deleting several sessions sends one `DEL` per session.
 *
 * What Cluster and Sentinel guarantee: every command goes to the master of its slot (or the Sentinel
 * master), and the refresh lock is a single-key `SET NX PX` there, so it holds as long as that master
 * does. Replication is asynchronous: a write the master acknowledged just before it failed can be
 * missing on the replica promoted in its place. So a session created, slid or updated, or a refresh
 * lock taken, in the last moment before a failover may vanish: the user is signed out, or a second
 * process refreshes the same tokens (which the provider may treat as refresh-token reuse). It is never
 * another user's session: entries are bound to their own key. `WAIT` is not used; it would narrow the
 * window, not close it.
 *
 * The per-user session cap holds here too: the session server keeps each user's sessions in a `u:`
 * entry and ends the oldest at login. Two logins of one user racing on two processes may both stay,
 * exceeding the cap by the logins that raced. Redis's own eviction (`maxmemory-policy`) knows nothing
 * of sessions: prefer `noeviction` or `volatile-ttl` with enough memory; an entry Redis drops anyway is
 * a signed-out session (or one whose `GET token` asks for a new login), never another user's.
 */
export function redisStore(options: RedisStoreOptions): SessionStore {
  const send = sender(options?.client as Record<string, unknown> | undefined);
  if (!send) throw new ConfigError('client', 'expected a node-redis or ioredis client');
  const prefix = options.prefix ?? 'oidc-session:';
  // A `{` in the prefix would become every key's hash tag, splitting one session over several slots.
  if (typeof prefix !== 'string' || prefix.includes('{')) throw new ConfigError('prefix', 'expected a string without "{"');
  const ms = (ttl: number) => String(Math.max(1, Math.ceil(ttl)));
  // `s:<h>` → `<prefix>s:{<h>}`: entries sharing <h> (one session, see SessionStore) share a slot.
  const tagOf = (key: string) => key.slice(key.indexOf(':') + 1);
  const redisKey = (key: string) => {
    const colon = key.indexOf(':');
    return `${prefix}${key.slice(0, colon + 1)}{${key.slice(colon + 1)}}`;
  };
  const run = (key: string, command: string, ...rest: string[]) => send(key, [command, key, ...rest]);

  return {
    kind: 'store',
    get: async (key) => {
      const value = await run(redisKey(key), 'GET');
      return typeof value === 'string' ? value : value == null ? undefined : String(value);
    },
    set: async (key, value, ttlMs) => void (await run(redisKey(key), 'SET', value, 'PX', ms(ttlMs))),
    update: async (key, value, ttlMs) => (await run(redisKey(key), 'SET', value, 'PX', ms(ttlMs), 'XX')) != null,
    touch: async (key, ttlMs) => Number(await run(redisKey(key), 'PEXPIRE', ms(ttlMs))) === 1,
    delete: async (keys) => {
      // One DEL per hash tag: a Cluster refuses a DEL whose keys are in different slots.
      const groups = new Map<string, string[]>();
      for (const key of keys) {
        const group = groups.get(tagOf(key));
        if (group) group.push(redisKey(key));
        else groups.set(tagOf(key), [redisKey(key)]);
      }
      await Promise.all([...groups.values()].map((group) => send(group[0] as string, ['DEL', ...group])));
    },
    lock: async (key, ttlMs) => {
      const token = crypto.randomUUID();
      const lockKey = redisKey(key);
      const taken = await run(lockKey, 'SET', token, 'PX', ms(ttlMs), 'NX');
      if (taken == null) return undefined;
      return async () => void (await send(lockKey, ['EVAL', RELEASE, '1', lockKey, token]));
    },
  };
}
