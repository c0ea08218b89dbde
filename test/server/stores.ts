// The real stores the suites run against, with a raw view of what each one holds: the memory store
// itself, Redis through node-redis v5 or ioredis (a real redis-server from test/support), the cookie store.
import { Redis as IORedis } from 'ioredis';
import { cookieStore, memoryStore, redisStore, type CookieStore, type SessionStore } from '../../src/server/index.js';
import { startRedis } from '../support/redis-server.mjs';
import { afterAll, beforeAll } from 'vitest';
import { redisClient, redisKey, startWorld, storeKeyOf, type World, type WorldConfig } from './harness.js';

export type StoreKind = 'memory' | 'redis' | 'ioredis' | 'cookie';

export interface OpenStore {
  kind: StoreKind;
  store: SessionStore | CookieStore;
  /** The raw entry under `key` (without the Redis prefix); undefined when absent or for the cookie store. */
  raw(key: string): Promise<string | undefined>;
  /** Writes a raw entry (tests that tamper with the store: swapped or copied entries). */
  put(key: string, value: string, ttlMs?: number): Promise<void>;
  /**
   * Every key the store holds, without the Redis prefix: Redis lists them (KEYS); for the memory store,
   * every key ever written that still has an entry. Undefined for the cookie store.
   */
  keys?(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens a store of `kind`; Redis kinds need `redisUrl` and start empty (FLUSHALL). */
export async function openStore(kind: StoreKind, options: { redisUrl?: string; now?: () => number } = {}): Promise<OpenStore> {
  if (kind === 'memory') {
    const inner = memoryStore(options.now ? { now: options.now } : {});
    // The memory store cannot list its keys: remember every key written through it.
    const written = new Set<string>();
    const store: SessionStore = {
      ...inner,
      set: (key, value, ttlMs) => (written.add(key), inner.set(key, value, ttlMs)),
      update: (key, value, ttlMs) => (written.add(key), inner.update(key, value, ttlMs)),
      lock: (key, ttlMs) => (written.add(key), inner.lock(key, ttlMs)),
    };
    return {
      kind,
      store,
      raw: (key) => inner.get(key),
      put: (key, value, ttlMs = 3_600_000) => inner.set(key, value, ttlMs),
      keys: async () => {
        const present: string[] = [];
        for (const key of written) if ((await inner.get(key)) !== undefined) present.push(key);
        return present;
      },
      close: async () => {},
    };
  }
  if (kind === 'cookie') return { kind, store: cookieStore(), raw: async () => undefined, put: async () => {}, close: async () => {} };
  if (!options.redisUrl) throw new Error(`the ${kind} store needs a redis-server`);
  if (kind === 'redis') {
    const client = await redisClient(options.redisUrl);
    await client.flushAll();
    return {
      kind,
      store: redisStore({ client }),
      raw: async (key) => (await client.get(redisKey(key))) ?? undefined,
      put: async (key, value, ttlMs = 3_600_000) => void (await client.set(redisKey(key), value, { PX: ttlMs })),
      keys: async () => (await client.keys('oidc-session:*')).map((key) => storeKeyOf(key)),
      close: async () => void client.destroy(),
    };
  }
  const client = new IORedis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await client.connect();
  await client.flushall();
  return {
    kind,
    store: redisStore({ client }),
    raw: async (key) => (await client.get(redisKey(key))) ?? undefined,
    put: async (key, value, ttlMs = 3_600_000) => void (await client.set(redisKey(key), value, 'PX', ttlMs)),
    keys: async () => (await client.keys('oidc-session:*')).map((key) => storeKeyOf(key)),
    close: async () => void client.disconnect(),
  };
}

/** A redis-server for one test file, started lazily by the first Redis kind that needs it. */
export function redisForFile(): { url(): Promise<string>; stop(): Promise<void> } {
  let server: Awaited<ReturnType<typeof startRedis>> | undefined;
  return {
    async url() {
      server ??= await startRedis();
      return server.url;
    },
    stop: async () => server?.stop(),
  };
}

/** Opens `kind`, starting the file's redis-server when the kind needs one. */
export async function openKind(kind: StoreKind, redis: ReturnType<typeof redisForFile>, now?: () => number): Promise<OpenStore> {
  const redisUrl = kind === 'redis' || kind === 'ioredis' ? await redis.url() : undefined;
  return openStore(kind, { ...(redisUrl ? { redisUrl } : {}), ...(now ? { now } : {}) });
}

/**
 * The provider world and the lazily started redis-server of one test file, started before its tests
 * and stopped after them. `world` is set once `beforeAll` has run.
 */
export function worldForFile(config?: WorldConfig): { world: World; redis: ReturnType<typeof redisForFile> } {
  const file = { world: undefined as unknown as World, redis: redisForFile() };
  beforeAll(async () => {
    file.world = await startWorld(config);
  });
  afterAll(async () => {
    await file.world?.close();
    await file.redis.stop();
  });
  return file;
}
