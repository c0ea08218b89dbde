// Starts test/server/fuzz/fuzz-app.mjs in a child process on the CURRENT sources: src/server is bundled
// with tsup (the package's own build tool) into a temporary module first, ~100 ms, so the fuzz never
// runs a stale dist/; then the child serves it through node:http and Express on a harness World's origin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';
import { CLIENT_ID, CLIENT_SECRET, SECRET, type World } from '../harness.js';
import { freePort } from '../../support/redis-server.mjs';
import { spawnReady } from '../../support/spawn-ready.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fuzz-app.mjs', import.meta.url));

export interface FuzzApp {
  /** Where the node:http adapter listens (`http://127.0.0.1:port`). */
  nodeBase: string;
  nodePort: number;
  /** Where the Express adapter listens. */
  expressBase: string;
  expressPort: number;
  /** True while the child runs (neither exited nor killed by a signal). */
  alive(): boolean;
  /** Uncaught exceptions and unhandled rejections the child has recorded so far (asks its control port). */
  events(): Promise<{ kind: string; message: string }[]>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Bundles src/server and starts the fuzz app against `world`'s provider: the memory store, Redis when
 * `redisUrl` is given, or the stateless cookie store. The sources are this checkout's, or those under the directory in HTTP_FUZZ_SOURCE (to fuzz
 * another revision: `git archive <rev> src | tar -x -C dir`).
 */
export async function startFuzzApp(world: World, options: { redisUrl?: string; cookieStore?: boolean; serverOptions?: Record<string, unknown> } = {}): Promise<FuzzApp> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-http-fuzz-'));
  const sources = process.env.HTTP_FUZZ_SOURCE || root;
  // One self-contained ESM file (dependencies inlined), so it runs from the temporary directory.
  await build({
    entry: { server: join(sources, 'src/server/index.ts') },
    format: ['esm'],
    outDir: dir,
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    noExternal: [/./],
    splitting: false,
    dts: false,
    config: false,
    silent: true,
    // Sources from elsewhere (HTTP_FUZZ_SOURCE) still resolve their dependencies from this checkout.
    esbuildOptions: (options) => void (options.nodePaths = [join(root, 'node_modules')]),
  });
  const serverModule = join(dir, 'server.mjs');
  const [nodePort, expressPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const config = {
    serverModule: pathToFileURL(serverModule).href,
    nodePort,
    expressPort,
    controlPort,
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.cookieStore ? { store: 'cookie' } : {}),
    options: {
      issuer: world.provider.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      appUrl: world.appOrigin,
      secret: SECRET,
      scope: 'openid profile email offline_access',
      // The stateless cookie store keeps no tokens to hand out.
      tokenRoute: !options.cookieStore,
      ...options.serverOptions,
    },
  };
  const { child, output, alive } = await spawnReady(fixture, { FUZZ_CONFIG: JSON.stringify(config) }, 'ready', 'fuzz app', 20_000);
  return {
    nodeBase: `http://127.0.0.1:${nodePort}`,
    nodePort,
    expressBase: `http://127.0.0.1:${expressPort}`,
    expressPort,
    alive,
    output,
    async events() {
      const response = await fetch(`http://127.0.0.1:${controlPort}/events`);
      return ((await response.json()) as { events: { kind: string; message: string }[] }).events;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (!alive()) return done();
        child.once('exit', done);
        child.kill('SIGKILL');
      }),
  };
}
