// The Redis store on a real Redis Cluster (3 masters, 3 replicas) through node-redis `createCluster()`
// and ioredis `Cluster`, and behind Sentinel (node-redis `createSentinel()`, ioredis with `sentinels`):
// the store's contract on keys spread over every slot, real logins, logouts and endSessions across
// slots, and failovers (a master SIGKILLed, `SENTINEL FAILOVER`) that keep every replicated session.
import { randomBytes } from 'node:crypto';
import { Cluster as IOCluster, Redis as IORedis } from 'ioredis';
import { createCluster, createSentinel } from 'redis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { redisStore, type SessionStore } from '../../src/server/index.js';
import { createKeyedHash } from '../../src/server/seal.js';
import { redisCli, startCluster, startSentinel } from '../support/redis-cluster.mjs';
import { SECRET, SESSION_COOKIE, call, eventually, login, redisKey, sessionCookie, startWorld, storeKey, type App, type World } from './harness.js';

/** What a test needs of a connected client besides the store: raw reads, and WAIT on every master. */
interface Connected {
  client: Parameters<typeof redisStore>[0]['client'];
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  /** `WAIT 1 1000` on the connection to every master: resolves with each one's count of acknowledging replicas. */
  waitReplicated(): Promise<number[]>;
  close(): Promise<void>;
}

/** What test/support/redis-cluster.mjs's startCluster() resolves with. */
interface Cluster {
  nodes: Array<{ port: number; url: string; alive(): boolean }>;
  rootNodes(): Array<{ host: string; port: number }>;
  masters(): Promise<number[]>;
  kill(port: number): Promise<unknown>;
  restart(port: number): Promise<void>;
  failedOver(port: number, timeoutMs?: number): Promise<void>;
  healthy(timeoutMs?: number, replicas?: boolean): Promise<void>;
  stop(): Promise<void>;
}

const connectors = {
  'node-redis': async (cluster: Cluster): Promise<Connected> => {
    const client = createCluster({ rootNodes: cluster.nodes.map((n) => ({ url: n.url })), defaults: { socket: { reconnectStrategy: () => 100, connectTimeout: 1_000 } } });
    client.on('error', () => {});
    await client.connect();
    return {
      client,
      get: (key) => client.get(key),
      pttl: (key) => client.pTTL(key),
      waitReplicated: () => Promise.all(client.masters.map(async (master) => Number(await (await client.nodeClient(master)).sendCommand(['WAIT', '1', '1000'])))),
      close: async () => void client.destroy(),
    };
  },
  ioredis: async (cluster: Cluster): Promise<Connected> => {
    const client = new IOCluster(cluster.rootNodes(), { lazyConnect: true, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, clusterRetryStrategy: () => 100 });
    client.on('error', () => {});
    await client.connect();
    return {
      client,
      get: (key) => client.get(key),
      pttl: (key) => client.pttl(key),
      waitReplicated: () => Promise.all(client.nodes('master').map(async (node) => Number(await node.call('WAIT', '1', '1000')))),
      close: async () => void client.disconnect(),
    };
  },
};

const handle = () => randomBytes(32).toString('base64url');
const slotOf = async (port: number, key: string) => Number((await redisCli(port, 'cluster', 'keyslot', key)).trim());

/** The master port serving each slot range, from CLUSTER SLOTS of a live node. */
async function slotOwners(cluster: Cluster): Promise<Array<{ from: number; to: number; port: number }>> {
  const live = cluster.nodes.find((n) => n.alive()) as Cluster['nodes'][number];
  // redis-cli prints the nested reply flat: from, to, then each node's ip, port, id (and hostname info).
  const lines = (await redisCli(live.port, '--no-raw', 'cluster', 'slots')).split('\n');
  const owners: Array<{ from: number; to: number; port: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    const from = /^\s*\d+\) 1\) \(integer\) (\d+)$/.exec(lines[i] as string);
    if (!from) continue;
    const to = /\(integer\) (\d+)$/.exec(lines[i + 1] as string);
    const port = /\(integer\) (\d+)$/.exec(lines[i + 3] as string);
    owners.push({ from: Number(from[1]), to: Number(to?.[1]), port: Number(port?.[1]) });
  }
  return owners;
}

let world: World;
let cluster: Cluster;

beforeAll(async () => {
  [world, cluster] = await Promise.all([startWorld(), startCluster() as Promise<Cluster>]);
}, 40_000);
afterAll(async () => {
  await world?.close();
  await cluster?.stop();
}, 15_000);

describe.each(['node-redis', 'ioredis'] as const)('a Redis Cluster through %s', (kind) => {
  let redis: Connected;
  let store: SessionStore;
  beforeAll(async () => {
    redis = await connectors[kind](cluster);
    store = redisStore({ client: redis.client });
  }, 15_000);
  afterAll(async () => redis?.close());

  test('the contract on keys in every slot range: one session in one slot, spread over all masters', async () => {
    const handles = Array.from({ length: 60 }, handle);
    const live = cluster.nodes.find((n) => n.alive()) as Cluster['nodes'][number];
    const owners = await slotOwners(cluster);
    const masters = new Set<number>();
    for (const h of handles) {
      const [s, t, l] = await Promise.all(['s', 't', 'l'].map((kindOf) => slotOf(live.port, redisKey(`${kindOf}:${h}`))));
      expect(t).toBe(s);
      expect(l).toBe(s);
      masters.add((owners.find((o) => o.from <= (s as number) && (s as number) <= o.to) as { port: number }).port);
    }
    expect(masters.size).toBe(3);

    await Promise.all(handles.flatMap((h) => [store.set(`s:${h}`, `session ${h}`, 60_000), store.set(`t:${h}`, `tokens ${h}`, 60_000)]));
    for (const h of handles) {
      expect(await store.get(`s:${h}`)).toBe(`session ${h}`);
      expect(await redis.get(redisKey(`t:${h}`))).toBe(`tokens ${h}`);
    }
    const [first, second, third] = handles as [string, string, string];
    // update only while it exists (XX), touch only while it exists.
    expect(await store.update(`s:${first}`, 'slid', 120_000)).toBe(true);
    expect(await store.get(`s:${first}`)).toBe('slid');
    expect(await redis.pttl(redisKey(`s:${first}`))).toBeGreaterThan(60_000);
    expect(await store.update(`s:${handle()}`, 'nothing', 1_000)).toBe(false);
    expect(await store.touch(`t:${first}`, 120_000)).toBe(true);
    expect(await redis.pttl(redisKey(`t:${first}`))).toBeGreaterThan(60_000);
    const missing = handle();
    expect(await store.touch(`t:${missing}`, 1_000)).toBe(false);
    expect(await redis.get(redisKey(`t:${missing}`))).toBeNull();
    expect(await store.get(`s:${missing}`)).toBeUndefined();

    // One delete of several sessions and an index, in different slots: all go, the others stay.
    await store.set(`u:${third}`, 'index', 60_000);
    await store.delete([`s:${first}`, `t:${first}`, `s:${second}`, `t:${second}`, `u:${third}`]);
    for (const key of [`s:${first}`, `t:${first}`, `s:${second}`, `t:${second}`, `u:${third}`]) expect(await store.get(key)).toBeUndefined();
    for (const h of handles.slice(2)) expect(await store.get(`s:${h}`)).toBe(`session ${h}`);
    await store.delete([]);

    // The lock: one holder; a release frees it; a release after expiry leaves the next holder's lock.
    const release = await store.lock(`l:${third}`, 10_000);
    expect(release).toBeTypeOf('function');
    expect(await store.lock(`l:${third}`, 10_000)).toBeUndefined();
    await release?.();
    const short = await store.lock(`l:${third}`, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const next = await store.lock(`l:${third}`, 10_000);
    expect(next).toBeTypeOf('function');
    await short?.();
    expect(await store.lock(`l:${third}`, 10_000)).toBeUndefined();
    await next?.();
    expect(await redis.get(redisKey(`l:${third}`))).toBeNull();
    await store.delete(handles.flatMap((h) => [`s:${h}`, `t:${h}`]));
    expect(await store.get(`s:${handles[5]}`)).toBeUndefined();
  }, 20_000);

  test('real logins, a logout and endSessions({ sub }) across slots', async () => {
    const app: App = await world.startApp({ store });
    try {
      await app.server.endSessions({ sub: 'ada' });
      const jars = [];
      for (let i = 0; i < 4; i++) jars.push((await login(world)).jar);
      const ids = jars.map(sessionCookie);
      for (const [i, jar] of jars.entries()) {
        expect((await call(world, jar, '/auth/session')).status).toBe(200);
        expect(await redis.get(redisKey(await storeKey(ids[i] as string, 's')))).toBeTruthy();
        expect(await redis.get(redisKey(await storeKey(ids[i] as string, 't')))).toBeTruthy();
      }
      const userKey = `u:${(await createKeyedHash([SECRET], 'store-owner')('ada'))[0]}`;
      expect(await redis.get(redisKey(userKey))).toBeTruthy();

      // A logout deletes every key of that session; the others stay.
      expect((await call(world, jars[0] as never, '/auth/logout', { method: 'POST', csrf: true })).status).toBe(200);
      for (const entry of ['s', 't', 'l'] as const) expect(await redis.get(redisKey(await storeKey(ids[0] as string, entry)))).toBeNull();
      expect((await call(world, `${SESSION_COOKIE}=${ids[0]}`, '/auth/session')).status).toBe(401);
      expect((await call(world, jars[1] as never, '/auth/session')).status).toBe(200);

      // endSessions reads the index in one slot and ends sessions in others.
      expect(await app.server.endSessions({ sub: 'ada' })).toBe(3);
      for (const id of ids.slice(1)) {
        expect((await call(world, `${SESSION_COOKIE}=${id}`, '/auth/session')).status).toBe(401);
        for (const entry of ['s', 't'] as const) expect(await redis.get(redisKey(await storeKey(id, entry)))).toBeNull();
      }
      expect(await redis.get(redisKey(userKey))).toBeNull();
    } finally {
      await app.close();
    }
  }, 30_000);

  test('a master SIGKILLed: every replicated session survives on its promoted replica; logins go on', async () => {
    const app: App = await world.startApp({ store });
    try {
      const jars = [];
      for (let i = 0; i < 3; i++) jars.push((await login(world)).jar);
      const handles = Array.from({ length: 200 }, handle);
      await Promise.all(handles.flatMap((h) => [store.set(`s:${h}`, `session ${h}`, 120_000), store.set(`t:${h}`, `tokens ${h}`, 120_000)]));
      // Replication is asynchronous: make it explicit, so what is checked below is what was replicated.
      expect(await redis.waitReplicated()).toEqual([1, 1, 1]);

      // A master that still has a replica (the other block may have killed one already).
      const live = cluster.nodes.find((n) => n.alive()) as Cluster['nodes'][number];
      const lines = (await redisCli(live.port, 'cluster', 'nodes')).trim().split('\n').map((l) => l.split(' '));
      const victim = lines.find((l) => /(^|,)master(,|$)/.test(l[2] as string) && !/fail/.test(l[2] as string) && lines.some((r) => r[3] === l[0] && !/fail/.test(r[2] as string)));
      const port = Number((victim?.[1] as string).split(':')[1]?.split('@')[0]);
      const onVictim: string[] = [];
      const owners = await slotOwners(cluster);
      for (const h of handles) {
        const slot = await slotOf(live.port, redisKey(`s:${h}`));
        if (owners.find((o) => o.from <= slot && slot <= o.to)?.port === port) onVictim.push(h);
      }
      expect(onVictim.length).toBeGreaterThan(20);

      await cluster.kill(port);
      await cluster.failedOver(port);
      expect(await cluster.masters()).not.toContain(port);

      // Every session is on the new topology: a client that connects now reads them all.
      const fresh = await connectors[kind](cluster);
      const freshStore = redisStore({ client: fresh.client });
      try {
        for (const h of handles) {
          expect(await freshStore.get(`s:${h}`)).toBe(`session ${h}`);
          expect(await freshStore.get(`t:${h}`)).toBe(`tokens ${h}`);
        }
      } finally {
        await fresh.close();
      }
      if (kind === 'node-redis') {
        // node-redis 5 re-reads the slots only on a MOVED answer: commands for the dead master's slots
        // wait for it (the server answers 503 past storeTimeoutSeconds) until the old node is back, as a
        // replica that answers MOVED. ioredis re-reads the slots when a connection drops.
        const pending = store.get(`s:${onVictim[0]}`);
        expect(await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve('waiting'), 500))])).toBe('waiting');
        await cluster.restart(port);
        expect(await pending).toBe(`session ${onVictim[0]}`);
      }
      // The same client follows the new master; give it the time to.
      await eventually('the client reaches the promoted replica', async () => (await store.get(`s:${onVictim[0]}`).catch(() => undefined)) !== undefined, 10_000);
      for (const h of handles) {
        expect(await store.get(`s:${h}`)).toBe(`session ${h}`);
        expect(await store.get(`t:${h}`)).toBe(`tokens ${h}`);
      }
      for (const jar of jars) expect((await call(world, jar, '/auth/session')).status).toBe(200);
      const { jar } = await login(world);
      expect((await call(world, jar, '/auth/session')).status).toBe(200);
      await store.delete(handles.flatMap((h) => [`s:${h}`, `t:${h}`]));
      await app.server.endSessions({ sub: 'ada' });
      // The next block finds every master with a replica again.
      if (!cluster.nodes.find((n) => n.port === port)?.alive()) await cluster.restart(port);
      await cluster.healthy(30_000);
    } finally {
      await app.close();
    }
  }, 50_000);
});

describe('behind Sentinel', () => {
  let sentinel: Awaited<ReturnType<typeof startSentinel>>;
  beforeAll(async () => {
    sentinel = await startSentinel();
  }, 30_000);
  afterAll(async () => sentinel?.stop());

  test.each(['node-redis', 'ioredis'] as const)('through %s: sessions survive SENTINEL FAILOVER; logins go on', async (kind) => {
    const node = kind === 'node-redis' ? createSentinel({ name: sentinel.name, sentinelRootNodes: sentinel.sentinels() }) : undefined;
    const io = kind === 'ioredis' ? new IORedis({
            sentinels: sentinel.sentinels(),
            name: sentinel.name,
            lazyConnect: true,
            // A connection left on the demoted master answers READONLY: reconnect, asking the sentinels.
            reconnectOnError: (error) => error.message.startsWith('READONLY'),
          }) : undefined;
    node?.on('error', () => {});
    io?.on('error', () => {});
    await (node ?? io)?.connect();
    const client = (node ?? io) as Parameters<typeof redisStore>[0]['client'];
    const store = redisStore({ client });
    const app: App = await world.startApp({ store });
    try {
      const { jar } = await login(world);
      const handles = Array.from({ length: 100 }, handle);
      await Promise.all(handles.map((h) => store.set(`s:${h}`, `session ${h}`, 120_000)));
      const release = await store.lock(`l:${handles[0]}`, 60_000);
      expect(release).toBeTypeOf('function');
      // Replication is asynchronous: WAIT on the connection that wrote (node-redis: a leased one sees none of them).
      if (io) expect(Number(await io.call('WAIT', '1', '1000'))).toBe(1);
      else await eventually('the replica caught up', async () => {
        const master = /master_repl_offset:(\d+)/.exec(await redisCli(await sentinel.currentMaster(), 'info', 'replication'))?.[1];
        return /offset=(\d+)/.exec(await redisCli(await sentinel.currentMaster(), 'info', 'replication'))?.[1] === master;
      });

      const before = await sentinel.currentMaster();
      await sentinel.failover();
      expect(await sentinel.currentMaster()).not.toBe(before);

      await eventually('the client follows the new master', async () => (await store.set(`s:${handles[1]}`, `session ${handles[1]}`, 120_000).then(() => true, () => false)), 15_000);
      for (const h of handles) expect(await store.get(`s:${h}`)).toBe(`session ${h}`);
      // The lock moved with the data: it is still held.
      expect(await store.lock(`l:${handles[0]}`, 60_000)).toBeUndefined();
      await release?.();
      expect(await store.lock(`l:${handles[0]}`, 60_000)).toBeTypeOf('function');
      expect((await call(world, jar, '/auth/session')).status).toBe(200);
      const again = await login(world);
      expect((await call(world, again.jar, '/auth/session')).status).toBe(200);
      await app.server.endSessions({ sub: 'ada' });
    } finally {
      await app.close();
      if (node) node.destroy();
      io?.disconnect();
    }
  }, 40_000);
});
