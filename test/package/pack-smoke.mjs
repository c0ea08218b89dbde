// `npm run test:pack`: the package as users get it. Packs the tarball, installs it into a fresh
// project (its two dependencies come from the registry), then checks the ESM import, the CJS require on
// this Node version, that the type declarations compile under node16 and bundler resolution, and that
// the CDN file works from a plain <script> tag in Chromium.
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
  for (const required of ['package/dist/index.js', 'package/dist/index.cjs', 'package/dist/index.d.ts', 'package/dist/index.d.cts', 'package/dist/oidc-session.global.js', 'package/README.md', 'package/LICENSE']) {
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
console.log(client.state.status, isAuthError(error), error instanceof ConfigError);`]).trim();
  if (esm !== 'anonymous true true') throw new Error(`ESM import: ${esm}`);
  step('ESM import works');

  const cjs = run('node', ['-e', `const { AuthClient, isAuthError } = require('oidc-session');
const client = new AuthClient(${options});
console.log(typeof AuthClient, client.state.status, isAuthError(new Error('x')));`]).trim();
  if (cjs !== 'function anonymous false') throw new Error(`CJS require: ${cjs}`);
  step(`CJS require works on Node ${process.version}`);

  writeFileSync(
    join(dir, 'app.ts'),
    `import { AuthClient, isAuthError, type AuthState, type User } from 'oidc-session';
const client = new AuthClient({ issuer: 'https://op.example', clientId: 'app', redirectUri: 'https://app.example/cb', storage: 'indexeddb' });
const state: AuthState = client.state;
const user: Promise<User | undefined> = client.getUser();
const stop: () => void = client.on('logout', (event) => console.log(event.reason, event.remote));
client.getAccessToken({ forceRefresh: true }).catch((error: unknown) => isAuthError(error) && error.code);
export { state, user, stop };
`,
  );
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']]) {
    run('node', [tsc, '--noEmit', '--strict', '--skipLibCheck', 'false', '--module', module, '--moduleResolution', resolution, '--target', 'es2022', '--lib', 'es2022,dom', 'app.ts']);
  }
  step('type declarations compile (node16 and bundler resolution, skipLibCheck off)');

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
  } finally {
    await browser.close();
  }
  step('the CDN file works from a <script> tag');
} catch (error) {
  console.error(`pack smoke failed: ${error.message}\n${error.stderr ?? ''}${error.stdout ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
