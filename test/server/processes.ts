// App instances in child processes (test/server/fixtures/app-process.mjs) running the built package,
// sharing one Redis: several servers behind one app origin, restarts, outages.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/redis-server.mjs';
import { spawnReady } from '../support/spawn-ready.js';
import { CLIENT_ID, CLIENT_SECRET, SECRET, type World } from './harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/app-process.mjs', import.meta.url));
const built = `${root}dist/server.js`;

/** Fails with a clear message when the built server is missing or older than its sources. */
export function requireBuiltServer(): void {
  if (!existsSync(built)) throw new Error(`${built} is missing: these tests run the built package; build it first (npx tsup, or npm test, which builds)`);
  const builtAt = statSync(built).mtimeMs;
  const newer = (readdirSync(`${root}src/server`, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts'))
    .filter((file) => statSync(`${root}src/server/${file}`).mtimeMs > builtAt);
  if (newer.length) throw new Error(`dist/server.js is older than src/server/${newer[0]}: rebuild (npx tsup) before running these tests`);
}

export interface AppProcess {
  port: number;
  /** Where it listens, for `call(..., { base })` and `loginAt(..., { base })`. */
  base: string;
  child: ChildProcess;
  /** True while the process runs (it neither exited nor died of a signal). */
  alive(): boolean;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
  /** Moves its clock `ms` ahead of real time. */
  setClockOffset(ms: number): Promise<void>;
  /** SIGKILL, like a crash, and waits for the exit. */
  kill(): Promise<void>;
}

/** Starts an app process on `port` (default a free one) with the app origin of `world` and a Redis store at `redisUrl`. */
export async function startAppProcess(world: World, redisUrl: string, options: Record<string, unknown> = {}, port?: number): Promise<AppProcess> {
  const listenPort = port ?? (await freePort());
  const config = {
    port: listenPort,
    redisUrl,
    options: {
      issuer: world.provider.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      appUrl: world.appOrigin,
      secret: SECRET,
      scope: 'openid profile email offline_access',
      ...options,
    },
  };
  const { child, output, alive } = await spawnReady(fixture, { APP_CONFIG: JSON.stringify(config) }, `ready ${listenPort}`, 'app process', 15_000);
  const base = `http://127.0.0.1:${listenPort}`;
  return {
    port: listenPort,
    base,
    child,
    alive,
    output,
    async setClockOffset(ms) {
      const response = await fetch(`${base}/__test/clock?offset=${Math.round(ms)}`, { method: 'POST' });
      if (!response.ok) throw new Error(`clock: ${response.status}`);
      await response.text();
    },
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
