// `npm run test:pack`: the package as users get it. Packs the tarball, installs it into a fresh
// project (its two dependencies come from the registry), then checks the ESM import, the CJS require on
// this Node version, that the type declarations compile under node16 and bundler resolution, and that
// the CDN files work from a plain <script> tag in Chromium; the same for `oidc-session/server-mode`, and
// the session server (`oidc-session/server`) by import and require.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'oidc-session-pack-'));
const run = (command, args, options = {}) => execFileSync(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
const step = (name) => console.log(`pack smoke: ${name}`);

try {
  const tarball = run('npm', ['pack', root, '--pack-destination', dir, '--silent']).trim().split('\n').pop();
  step(`packed ${tarball}`);
  const files = run('tar', ['-tzf', join(dir, tarball)]).split('\n').filter(Boolean);
  for (const required of ['package/dist/index.js', 'package/dist/index.cjs', 'package/dist/index.d.ts', 'package/dist/index.d.cts', 'package/dist/oidc-session.global.js',
    'package/dist/server-mode.js', 'package/dist/server-mode.cjs', 'package/dist/server-mode.d.ts', 'package/dist/oidc-session-server-mode.global.js',
    'package/dist/server.js', 'package/dist/server.cjs', 'package/dist/server.d.ts', 'package/dist/server.d.cts', 'package/README.md', 'package/LICENSE']) {
    if (!files.includes(required)) throw new Error(`the tarball lacks ${required}`);
  }
  if (files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))) throw new Error('the tarball ships sources or tests');

  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  run('npm', ['install', join(dir, tarball), '--no-audit', '--no-fund', '--silent']);
  step('installed into a fresh project');

  const options = "{ issuer: 'https://op.example', clientId: 'app', redirectUri: 'https://app.example/cb' }";
  const esm = run('node', ['--input-type=module', '-e', `import { AuthClient, isAuthError, ConfigError } from 'oidc-session';
const client = new AuthClient(${options});
let error; try { new AuthClient({}); } catch (e) { error = e; }
const outside = await client.getUser().catch((e) => e.code);
console.log(client.state.status, isAuthError(error), error instanceof ConfigError, outside);`]).trim();
  // On the server (here, Node) the state stays "loading" and calls say they need a browser.
  if (esm !== 'loading true true browser_required') throw new Error(`ESM import: ${esm}`);
  step('ESM import works');

  const cjs = run('node', ['-e', `const { AuthClient, isAuthError } = require('oidc-session');
const client = new AuthClient(${options});
console.log(typeof AuthClient, client.state.status, isAuthError(new Error('x')));`]).trim();
  if (cjs !== 'function loading false') throw new Error(`CJS require: ${cjs}`);
  step(`CJS require works on Node ${process.version}`);

  const serverOptions = "{ issuer: 'https://op.example', clientId: 'app', clientSecret: 'client-secret', appUrl: 'https://app.example', secret: 'x'.repeat(32) }";
  const serverProbe = (load) => `${load}
const server = createSessionServer(${serverOptions});
const response = await server.handle(new Request('https://app.example/auth/session'));
console.log(typeof memoryStore, typeof redisStore, typeof nodeHandler, response.status);`;
  const serverEsm = run('node', ['--input-type=module', '-e', serverProbe("import { createSessionServer, memoryStore, redisStore, nodeHandler } from 'oidc-session/server';")]).trim();
  const serverCjs = run('node', ['-e', `(async () => { ${serverProbe("const { createSessionServer, memoryStore, redisStore, nodeHandler } = require('oidc-session/server');")} })()`]).trim();
  for (const [how, out] of [['import', serverEsm], ['require', serverCjs]]) {
    if (out !== 'function function function 401') throw new Error(`oidc-session/server by ${how}: ${out}`);
  }
  step('oidc-session/server works by import and require (401 without a session)');

  const serverMode = run('node', ['--input-type=module', '-e', `import { AuthClient, ConfigError } from 'oidc-session/server-mode';
let error; try { new AuthClient({ sessionServer: 'https://evil.example' }); } catch (e) { error = e; }
console.log(typeof new AuthClient({ sessionServer: '/auth' }).login, error instanceof ConfigError);`]).trim();
  if (serverMode !== 'function true') throw new Error(`oidc-session/server-mode: ${serverMode}`);
  step('oidc-session/server-mode imports');

  writeFileSync(
    join(dir, 'app.ts'),
    `import { AuthClient, indexedDbStorage, isAuthError, type AuthState, type StorageAdapter, type User } from 'oidc-session';
const storage: StorageAdapter = indexedDbStorage();
const client = new AuthClient({ issuer: 'https://op.example', clientId: 'app', redirectUri: 'https://app.example/cb', storage });
const state: AuthState = client.state;
const user: Promise<User | undefined> = client.getUser();
const stop: () => void = client.on('logout', (event) => console.log(event.reason, event.remote));
client.getAccessToken({ forceRefresh: true }).catch((error: unknown) => isAuthError(error) && error.code);
export { state, user, stop };
`,
  );
  writeFileSync(
    join(dir, 'server-mode.ts'),
    `import { AuthClient, type AuthState } from 'oidc-session/server-mode';
import { createSessionServer, redisStore, type Session, type SessionStore } from 'oidc-session/server';
const client = new AuthClient({ sessionServer: '/auth' });
const state: AuthState = client.state;
const server = createSessionServer({ issuer: 'https://op.example', clientId: 'app', clientSecret: 'client-secret', appUrl: 'https://app.example', secret: 'x'.repeat(32) });
const session: Promise<Session | undefined> = server.getSession(new Request('https://app.example/'));
const store: SessionStore = redisStore({ client: { sendCommand: async (args: string[]) => args.length } });
export { state, session, store };
`,
  );
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  // node10 (TypeScript's old `node`) is still common; it reads no "exports", so the subpaths need typesVersions.
  for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler'], ['commonjs', 'node10']]) {
    run('node', [tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--module', module, '--moduleResolution', resolution, '--target', 'es2022', '--lib', 'es2022,dom', 'app.ts', 'server-mode.ts']);
  }
  step('type declarations compile (node16, bundler and node10 resolution, skipLibCheck off)');

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.setContent('<!doctype html><title>consumer</title>');
    await page.addScriptTag({ content: readFileSync(join(dir, 'node_modules/oidc-session/dist/oidc-session.global.js'), 'utf8') });
    const result = await page.evaluate(() => {
      const { AuthClient, isAuthError } = window.OidcSession;
      let error;
      try {
        new AuthClient({ issuer: 'http://op.example' });
      } catch (e) {
        error = e;
      }
      return { isAuthError: isAuthError(error), code: error?.code };
    });
    if (!result.isAuthError || result.code !== 'invalid_config' || errors.length) throw new Error(`IIFE: ${JSON.stringify({ result, errors })}`);
    const serverModePage = await browser.newPage();
    serverModePage.on('pageerror', (error) => errors.push(String(error)));
    await serverModePage.setContent('<!doctype html><title>consumer</title>');
    await serverModePage.addScriptTag({ content: readFileSync(join(dir, 'node_modules/oidc-session/dist/oidc-session-server-mode.global.js'), 'utf8') });
    const serverModeResult = await serverModePage.evaluate(() => {
      const { AuthClient } = window.OidcSession;
      return typeof new AuthClient({ sessionServer: '/auth' }).getUser;
    });
    if (serverModeResult !== 'function' || errors.length) throw new Error(`server-mode IIFE: ${JSON.stringify({ serverModeResult, errors })}`);
  } finally {
    await browser.close();
  }
  step('both CDN files work from a <script> tag');
} catch (error) {
  console.error(`pack smoke failed: ${error.message}\n${error.stderr ?? ''}${error.stdout ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
