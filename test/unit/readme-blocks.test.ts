// Every code block of the README is one the tests run, so none can show code that does not work.
// Each TypeScript block is marked `<!-- readme-app: <file> -->` and is, as written:
//   - type-checked with tsc, all blocks as one small app whose `oidc-session` is the built package
//     resolved through its `exports` (node_modules/oidc-session -> this repository, as after an
//     install), so a wrong import, option name or type fails here;
//   - and run: the browser entries in a real browser (the Playwright spec named below), the modules any
//     code may import in a plain Node process (server-side rendering: they must evaluate without a
//     `window`, and the client they make must say `loading`), and the session server as a process
//     that answers HTTP with a real Redis behind it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeAppFiles, readmeCodeBlocks } from '../support/readme-blocks.js';
import { freePort, startRedis } from '../support/redis-server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** How each `readme-app` block is run, besides the type check every `.ts` block gets. */
const COVERAGE = {
  // The client module: imported by every browser block below; here, evaluated under SSR.
  'auth.ts': { run: 'ssr', spec: 'test/frameworks/readme/readme.spec.ts' },
  'main.ts': { run: 'browser', spec: 'test/frameworks/readme/readme.spec.ts' },
  'script-tag.html': { run: 'browser', spec: 'test/frameworks/readme/readme.spec.ts' },
  // A type, not code: checked to be the exported `AuthState` (below); nothing to run.
  'auth-state.ts': { run: 'types' },
  'tabs.ts': { run: 'ssr' },
  'popup-login.ts': { run: 'browser', spec: 'test/e2e/readme-popup-silent.spec.ts' },
  'popup-callback.ts': { run: 'browser', spec: 'test/e2e/readme-popup-silent.spec.ts' },
  'silent.ts': { run: 'browser', spec: 'test/e2e/readme-popup-silent.spec.ts' },
  'real-provider.ts': { run: 'ssr' },
  'server.ts': { run: 'server' },
  'server-mode.ts': { run: 'ssr' },
  'dpop.ts': { run: 'ssr' },
  'par.ts': { run: 'ssr' },
  // Functions over a client: run in plain Node, where each reaches the client and gets its answer there.
  'api.ts': { run: 'node' },
} as const satisfies Record<string, { run: 'ssr' | 'browser' | 'types' | 'server' | 'node'; spec?: string }>;

/**
 * The blocks without a marker, and why they need none: shell commands (run by hand or by CI's own
 * scripts, not code an app contains), and the CDN `<script>` tags between `<!-- cdn:start -->` and
 * `<!-- cdn:end -->`, which `npm run cdn-snippet` writes from the build and
 * `node scripts/cdn-snippet.mjs --check` (part of `npm test`) compares with it.
 */
const EXEMPT_LANGS = new Set(['sh']);

/** What the server block imports from `./orders` ("your own code"): the smallest such code. */
const ORDERS_STUB = `import type { Request, Response } from 'express';
export async function fetchOrders(sub: string, accessToken: string | undefined): Promise<unknown[]> {
  return [{ sub, withToken: accessToken !== undefined }];
}
export function placeOrder(_req: Request, res: Response): void {
  res.status(201).json({ placed: true });
}
`;

/** Appended to the AuthState block: the README's type and the package's are assignable both ways. */
const AUTH_STATE_CHECK = `
import type { AuthState as Exported } from 'oidc-session';
const toExported = (state: AuthState): Exported => state;
const fromExported = (state: Exported): AuthState => state;
export { toExported, fromExported };
`;

const files = readmeAppFiles();
const dir = join(root, 'node_modules/.cache/readme-blocks');
const tsBlocks = Object.keys(files).filter((name) => name.endsWith('.ts'));

/** The blocks as an app's source files, with `oidc-session` installed as a link to this repository. */
function writeApp(): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules/oidc-session'), 'dir');
  for (const name of tsBlocks) writeFileSync(join(dir, 'src', name), (files[name] as string) + (name === 'auth-state.ts' ? AUTH_STATE_CHECK : ''));
  writeFileSync(join(dir, 'src/orders.ts'), ORDERS_STUB);
}

describe("the README's code blocks", () => {
  beforeAll(() => {
    for (const file of ['index.js', 'index.d.ts', 'server.js', 'server-mode.js', 'popup.d.ts', 'silent.d.ts']) {
      if (!existsSync(join(root, 'dist', file))) throw new Error(`dist/${file} is missing: run \`npx tsup\` first`);
    }
    writeApp();
  });

  it('are each covered: a readme-app block with a known way to run it, or exempt', () => {
    const blocks = readmeCodeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    for (const block of blocks) {
      const where = `README.md:${block.line} (\`\`\`${block.lang})`;
      if (block.app) expect(Object.keys(COVERAGE), `${where}: readme-app ${block.app} has no entry in COVERAGE`).toContain(block.app);
      else if (block.cdn) expect(block.lang, where).toBe('html');
      else expect(EXEMPT_LANGS.has(block.lang), `${where}: mark it <!-- readme-app: <file> --> and cover it here`).toBe(true);
    }
    // Every entry names a block that exists, once.
    const marked = blocks.flatMap((block) => (block.app ? [block.app] : []));
    expect(marked.sort()).toEqual(Object.keys(COVERAGE).sort());
    expect(Object.keys(files).sort()).toEqual(Object.keys(COVERAGE).sort());
    // The browser blocks' specs exist and read those blocks.
    for (const [name, entry] of Object.entries(COVERAGE)) {
      if (!('spec' in entry)) continue;
      expect(readFileSync(join(root, entry.spec), 'utf8'), `${entry.spec} runs ${name}`).toContain(`'${name}'`);
    }
  });

  it('type-check as written against the built package, resolved through its exports', () => {
    const program = ts.createProgram({
      rootNames: [...tsBlocks, 'orders.ts'].map((name) => join(dir, 'src', name)),
      options: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
        strict: true,
        noUncheckedIndexedAccess: true,
        isolatedModules: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true,
        noEmit: true,
      },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return message;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${d.file.fileName.slice(dir.length + 1)}:${line + 1}:${character + 1}: ${message}`;
    });
    expect(diagnostics).toEqual([]);
    // The package really came from dist/, through node_modules/oidc-session's exports.
    const sources = program.getSourceFiles().map((file) => file.fileName);
    for (const types of ['index.d.ts', 'popup.d.ts', 'silent.d.ts', 'server.d.ts', 'server-mode.d.ts']) expect(sources).toContain(join(root, 'dist', types));
  }, 60_000);

  describe('the modules any code may import, in plain Node (server-side rendering)', () => {
    const ssr = Object.entries(COVERAGE).flatMap(([name, entry]) => (entry.run === 'ssr' ? [name.replace(/\.ts$/, '')] : []));
    let results: Record<string, { exports: string[]; window: string; state: unknown; calls: Record<string, string> }>;

    beforeAll(async () => {
      // Bundled as an app's bundler would (local files in, packages left to Node's resolution).
      await build({
        entryPoints: ssr.map((name) => join(dir, 'src', `${name}.ts`)),
        outdir: join(dir, 'out'),
        outExtension: { '.js': '.mjs' },
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        logLevel: 'silent',
      });
      // A fresh Node process: no window, no document, no location, no vitest. No call here may reach the
      // network (login() would, from a client that started: see tabs below).
      const probe = `
const out = {};
for (const name of ${JSON.stringify(ssr)}) {
  const { auth, ...rest } = await import('./out/' + name + '.mjs');
  const calls = {};
  for (const call of ['getUser', 'getAccessToken', 'handleRedirect']) calls[call] = await auth[call]().then(() => 'resolved', (e) => e.code);
  // The session-server-mode block's proxied-API helper goes through auth.fetch.
  if (rest.loadInventory) calls.loadInventory = await rest.loadInventory().then(() => 'resolved', (e) => e.code);
  out[name] = { exports: Object.keys(rest), window: typeof window, state: auth.state, calls };
}
console.log(JSON.stringify(out));`;
      results = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, encoding: 'utf8' }));
    });

    it('evaluate without throwing, with no window, and export their client', () => {
      expect(ssr).toEqual(['auth', 'tabs', 'real-provider', 'server-mode', 'dpop', 'par']);
      for (const name of ssr) expect(results[name], name).toMatchObject({ exports: name === 'server-mode' ? ['loadInventory'] : [], window: 'undefined' });
      expect(results['server-mode']!.calls.loadInventory).toBe('browser_required');
    });

    const outside = { state: { status: 'loading' }, calls: { getUser: 'browser_required', getAccessToken: 'browser_required', handleRedirect: 'browser_required' } };
    // The README: "Outside a browser, every call rejects with an AuthError whose code is browser_required,
    // and state stays { status: 'loading' }".
    // The tabs block passes indexedDbStorage(): the SDK's own adapters keep pending logins in
    // sessionStorage, so they do not let the client start outside a browser either.
    it.each(ssr)('%s: the client stays loading and every call says browser_required', (name) => {
      expect(results[name]).toMatchObject(outside);
    });
  });

  describe('the blocks of functions over a client, in plain Node', () => {
    it('api.ts: each export runs as written and reaches the client, which says browser_required outside a browser', async () => {
      await build({ entryPoints: [join(dir, 'src/api.ts')], outfile: join(dir, 'out/api.mjs'), bundle: true, packages: 'external', platform: 'node', format: 'esm', logLevel: 'silent' });
      const probe = `
const { api, loadOrders, headersFor } = await import('./out/api.mjs');
const code = (promise) => promise.then(() => 'resolved', (e) => e.code);
console.log(JSON.stringify({ api: typeof api, headers: typeof api.headers, loadOrders: await code(loadOrders()), headersFor: await code(headersFor('https://api.example.com/orders')) }));`;
      const result = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir, encoding: 'utf8' }));
      expect(result).toEqual({ api: 'function', headers: 'function', loadOrders: 'browser_required', headersFor: 'browser_required' });
    });
  });

  describe('the session server block, as a process with a real Redis', () => {
    let redis: { url: string; stop(): Promise<void> } | undefined;
    afterAll(async () => redis?.stop());

    it('starts, listens, and answers the session routes and the guarded API route', async () => {
      redis = await startRedis();
      await build({
        entryPoints: [join(dir, 'src/server.ts')],
        outfile: join(dir, 'out/server.mjs'),
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        logLevel: 'silent',
      });
      const port = await freePort();
      const env = { ...process.env, PORT: String(port), REDIS_URL: redis.url, CLIENT_ID: 'app', CLIENT_SECRET: 'client-secret', SESSION_SECRET: 'x'.repeat(32) };
      const child = spawn(process.execPath, [join(dir, 'out/server.mjs')], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        const origin = `http://127.0.0.1:${port}`;
        let session: Response | undefined;
        for (let tries = 0; !session; tries++) {
          if (child.exitCode !== null) throw new Error(`the server block exited (${child.exitCode}):\n${output}`);
          session = await fetch(`${origin}/auth/session`).catch(async (error: unknown) => {
            if (tries > 100) throw new Error(`the server block did not listen: ${String(error)}\n${output}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
            return undefined;
          });
        }
        expect(session.status).toBe(401);
        const orders = await fetch(`${origin}/api/orders`);
        expect(orders.status).toBe(401); // sessionMiddleware(..., { required: true }) without a session
        const unsafe = await fetch(`${origin}/api/orders`, { method: 'POST' });
        expect(unsafe.status).toBe(403); // no CSRF header
        expect(await unsafe.json()).toEqual({ error: 'csrf_check_failed' });
        // The proxied API: the CSRF header first, then a session; nothing goes upstream without both.
        expect((await fetch(`${origin}/api/inventory/items`)).status).toBe(403);
        const proxied = await fetch(`${origin}/api/inventory/items`, { headers: { 'x-oidc-session': '1' } });
        expect(proxied.status).toBe(401);
        expect(await proxied.json()).toEqual({ error: 'login_required' });
        expect(output).toBe('');
      } finally {
        child.kill();
        await exited;
      }
    });
  });
});
