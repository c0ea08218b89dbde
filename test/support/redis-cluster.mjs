// Starts a real Redis Cluster (3 masters, 3 replicas) or a Sentinel setup (1 master, 1 replica,
// sentinels) from redis-server on free loopback ports, each node in its own temporary directory, for
// the tests. Nodes can be SIGKILLed one by one; `stop()` kills the rest and removes the directories.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.mjs';

const binary = process.env.REDIS_SERVER ?? 'redis-server';
const cli = process.env.REDIS_CLI ?? 'redis-cli';
const running = new Set();
// A test process that dies leaves no redis-server behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs redis-cli against 127.0.0.1:`port`; resolves with its output ('' when the node does not answer).
 * @param {number} port
 * @param {...string} args
 * @returns {Promise<string>}
 */
export function redisCli(port, ...args) {
  return new Promise((resolve) => {
    execFile(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5_000 }, (error, stdout) => resolve(error ? '' : stdout));
  });
}

async function until(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Spawns one redis-server (`args` after the config file, if any) and waits for its ready line. */
async function startNode(args, ready, label) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = "";
  if (process.env.REDIS_CLUSTER_LOG) child.stdout.on("data", (c) => process.stderr.write(`[${label}] ${c}`));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start:\n${output}`)), 10_000);
    const fail = (error) => (clearTimeout(timer), reject(error));
    child.on('error', (error) => fail(new Error(`cannot run ${binary}: ${error.message}`)));
    child.on('exit', (code) => fail(new Error(`${label} exited (${code}):\n${output}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes(ready)) clearTimeout(timer), resolve(undefined);
    });
  });
  child.removeAllListeners('exit');
  child.once('exit', () => running.delete(child));
  return {
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
        child.once('exit', () => resolve(undefined));
        child.kill('SIGKILL');
      }),
  };
}

/**
 * Starts nodes with `start`, and on any failure kills those started and removes `dir`.
 * @template T
 * @param {string} dir
 * @param {Array<{ kill(): Promise<unknown> }>} nodes
 * @param {(stop: () => Promise<void>) => Promise<T>} start
 * @returns {Promise<T>}
 */
async function guarded(dir, nodes, start) {
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return await start(stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A cluster of 3 masters with one replica each, `cluster-node-timeout` `nodeTimeoutMs` (default 1000,
 * so a failover takes a few seconds), waited on until every node says `cluster_state:ok` and every
 * master has its replica connected.
 * @param {{ nodeTimeoutMs?: number }} [options]
 */
export async function startCluster(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
  /** @type {Array<{ port: number, url: string, args: string[], alive(): boolean, kill(): Promise<unknown> }>} */
  const nodes = [];
  return guarded(dir, nodes, async (stop) => {
    for (let i = 0; i < 6; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const own = mkdtempSync(join(dir, `node-${port}-`));
      const args = ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', own, '--save', '', '--appendonly', 'no',
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1_000),
          // A replica may take over however long its link was down: the tests check what survived.
          '--cluster-replica-validity-factor', '0'];
      const node = await startNode(args, 'Ready to accept connections', `cluster node ${port}`);
      nodes.push({ port, url: `redis://127.0.0.1:${port}`, args, alive: node.alive, kill: node.kill });
    }
    const created = await new Promise((resolve) => {
      execFile(cli, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 }, (error, stdout, stderr) =>
        resolve(error ? `${error.message}\n${stdout}\n${stderr}` : ''),
      );
    });
    if (created) throw new Error(`redis-cli --cluster create failed: ${created}`);
    /** Ports of the nodes that are masters serving slots now (as the first live node sees it). */
    const masters = async () => {
      const live = nodes.find((n) => n.alive());
      const lines = (await redisCli(live.port, 'cluster', 'nodes')).trim().split('\n');
      return lines.filter((l) => /\bmaster\b/.test(l.split(' ')[2]) && !/fail/.test(l.split(' ')[2]) && l.split(' ').length > 8).map((l) => Number(l.split(' ')[1].split(':')[1].split('@')[0]));
    };
    /**
     * Waits until every live node says `cluster_state:ok`, sees every slot served by a master not
     * flagged failed, and (with `replicas`) every such master has a replica connected.
     */
    const healthy = (timeoutMs = 20_000, replicas = true) =>
      until(
        'the cluster is healthy',
        async () => {
          for (const node of nodes.filter((n) => n.alive())) {
            if (!(await redisCli(node.port, 'cluster', 'info')).includes('cluster_state:ok')) return false;
            const lines = (await redisCli(node.port, 'cluster', 'nodes')).trim().split('\n');
            if (lines.some((l) => l.split(' ').length > 8 && /fail/.test(l.split(' ')[2]))) return false;
            // A replica counts once its initial sync is done (`connected_slaves` counts it before).
            const replication = await redisCli(node.port, 'info', 'replication');
            if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
          }
          if (replicas) {
            for (const port of await masters()) if (!/connected_slaves:[1-9]/.test(await redisCli(port, 'info', 'replication'))) return false;
          }
          return true;
        },
        timeoutMs,
      );
    const cluster = {
      nodes,
      /** `{ host, port }` of every node, for cluster clients' root nodes. */
      rootNodes: () => nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      masters,
      /** SIGKILLs the node on `port`. */
      kill: (port) => nodes.find((n) => n.port === port).kill(),
      /** Starts the (killed) node on `port` again with its directory: it rejoins from its nodes.conf, as a replica once failed over. */
      restart: async (port) => {
        const node = nodes.find((n) => n.port === port);
        if (node.alive()) throw new Error(`the node on ${port} is running`);
        const started = await startNode(node.args, 'Ready to accept connections', `cluster node ${port}`);
        Object.assign(node, { alive: started.alive, kill: started.kill });
      },
      /** Waits until every live node flags the (killed) node on `port` as failed and the cluster is ok again: its replica took over. */
      failedOver: async (port, timeoutMs = 30_000) => {
        await until(
          `the node on ${port} is failed over`,
          async () => {
            for (const node of nodes.filter((n) => n.alive())) {
              const line = (await redisCli(node.port, 'cluster', 'nodes')).split('\n').find((l) => l.includes(`:${port}@`));
              if (!line || !/(^|,)fail(,|$)/.test(line.split(' ')[2]) || line.split(' ').length > 8) return false;
            }
            return true;
          },
          timeoutMs,
        );
        await healthy(timeoutMs, false);
      },
      healthy,
      stop,
    };
    await healthy(30_000);
    return cluster;
  });
}

/**
 * One master, one replica and `sentinels` sentinels (default 3, quorum 2) monitoring it as `mymaster`,
 * `down-after-milliseconds` 1000; waited on until every sentinel knows the replica and the others.
 * @param {{ sentinels?: number }} [options]
 */
export async function startSentinel(options = {}) {
  const count = options.sentinels ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
  const nodes = [];
  return guarded(dir, nodes, async (stop) => {
    const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const [masterPort, replicaPort] = [await freePort(), await freePort()];
    const master = await startNode(['--port', String(masterPort), '--dir', mkdtempSync(join(dir, 'master-')), ...common], 'Ready to accept connections', 'sentinel master');
    nodes.push({ port: masterPort, ...master });
    const replica = await startNode(['--port', String(replicaPort), '--dir', mkdtempSync(join(dir, 'replica-')), '--replicaof', '127.0.0.1', String(masterPort), ...common], 'Ready to accept connections', 'sentinel replica');
    nodes.push({ port: replicaPort, ...replica });
    const sentinelPorts = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const own = mkdtempSync(join(dir, `sentinel-${port}-`));
      // Sentinel rewrites its config file: each one gets its own.
      const conf = join(own, 'sentinel.conf');
      writeFileSync(
        conf,
        [`port ${port}`, 'bind 127.0.0.1', `dir ${own}`, `sentinel monitor mymaster 127.0.0.1 ${masterPort} ${Math.min(2, count)}`,
          'sentinel down-after-milliseconds mymaster 1000', 'sentinel failover-timeout mymaster 5000', ''].join('\n'),
      );
      const sentinel = await startNode([conf, '--sentinel'], '+monitor master mymaster', `sentinel ${port}`);
      nodes.push({ port, ...sentinel });
      sentinelPorts.push(port);
    }
    await until('the replica is in sync', async () => /master_link_status:up/.test(await redisCli(replicaPort, 'info', 'replication')));
    await until('every sentinel knows the replica and the other sentinels', async () => {
      for (const port of sentinelPorts) {
        if (!(await redisCli(port, 'sentinel', 'replicas', 'mymaster')).includes(String(replicaPort))) return false;
        const others = (await redisCli(port, 'sentinel', 'sentinels', 'mymaster')).split('\n').filter((l) => l === 'runid').length;
        if (others < count - 1) return false;
      }
      return true;
    }, 30_000);
    return {
      name: 'mymaster',
      masterPort,
      replicaPort,
      sentinels: () => sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      /** The master's port as the first sentinel sees it. */
      currentMaster: async () => Number((await redisCli(sentinelPorts[0], 'sentinel', 'get-master-addr-by-name', 'mymaster')).trim().split('\n')[1]),
      /** `SENTINEL FAILOVER`, then waits until the sentinels and the old replica agree it is the master. */
      failover: async () => {
        const before = await redisCli(sentinelPorts[0], 'sentinel', 'get-master-addr-by-name', 'mymaster');
        const answer = (await redisCli(sentinelPorts[0], 'sentinel', 'failover', 'mymaster')).trim();
        if (answer !== 'OK') throw new Error(`SENTINEL FAILOVER answered ${answer}`);
        // Done when every sentinel names the new master (clients may ask any of them) and it says so too.
        await until('the failover is done', async () => {
          const now = await redisCli(sentinelPorts[0], 'sentinel', 'get-master-addr-by-name', 'mymaster');
          if (now === before) return false;
          for (const port of sentinelPorts.slice(1)) if ((await redisCli(port, 'sentinel', 'get-master-addr-by-name', 'mymaster')) !== now) return false;
          const port = Number(now.trim().split('\n')[1]);
          return /role:master/.test(await redisCli(port, 'info', 'replication'));
        });
        // The old master becomes the new one's replica. The sentinels would tell it so on their next
        // 10-second INFO round; tell it now as they do (REPLICAOF, then CLIENT KILL TYPE normal so that
        // clients reconnect and ask the sentinels again), and wait until it is in sync.
        const old = Number(before.trim().split('\n')[1]);
        await redisCli(old, 'replicaof', '127.0.0.1', String(await redisCli(sentinelPorts[0], 'sentinel', 'get-master-addr-by-name', 'mymaster').then((a) => Number(a.trim().split('\n')[1]))));
        await redisCli(old, 'client', 'kill', 'type', 'normal');
        await until('the old master replicates the new one', async () => {
          const replication = await redisCli(old, 'info', 'replication');
          return replication.includes('role:slave') && replication.includes('master_link_status:up');
        });
      },
      stop,
    };
  });
}
