// The build under test, frozen for the run: a copy of dist/ taken at the start, so a rebuild while the
// benchmark runs (tsup empties dist/ first) cannot pull the module out from under a starting app. The
// copy lives under node_modules/.cache so that its imports (oauth4webapi) resolve as dist/'s do.
import { rmSync } from 'node:fs';
import { cp, rm } from 'node:fs/promises';

const root = new URL('../../', import.meta.url);

/**
 * Copies dist/ (or `from`, another build's output directory) and checks the copy loads; resolves with
 * the copy's server entry (a file URL) and a synchronous remover.
 * @param {string | URL} [from]
 * @param {string} [name] Tells apart two snapshots of one run (the build under test and one compared with it).
 */
export async function snapshotDist(from = new URL('dist/', root), name = 'main') {
  const dir = new URL(`node_modules/.cache/oidc-session-bench-server-${process.pid}-${name}/`, root);
  for (let attempt = 1; ; attempt++) {
    try {
      await rm(dir, { recursive: true, force: true });
      await cp(from, dir, { recursive: true });
      const entry = new URL('server.js', dir);
      const module = await import(`${entry.href}?attempt=${attempt}`);
      if (typeof module.createSessionServer !== 'function') throw new Error('dist/server.js has no createSessionServer');
      return { entry: entry.href, remove: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (error) {
      // A build in progress: wait for it to finish, a few times, then give up.
      if (attempt >= 10) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`cannot load ${from}/server.js (run npm run build first): ${error instanceof Error ? error.message : error}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}
