// `npm run demo` (the build, then `node demo/start.mjs`): once it is up, the last thing in the terminal
// is the banner with the URLs to open, not a warning or log line that pushes them out of sight.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/redis-server.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
// What `npm run demo` runs after building.
const script = `${root}demo/start.mjs`;

const nonEmptyLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

describe('npm run demo', () => {
  it('prints the URL banner last, on the ports it was given, and stops on SIGTERM', async () => {
    // The demo serves the built package (its session server imports dist/server.js): `npm test` and
    // `npm run demo` build first.
    expect(existsSync(`${root}dist/server.js`), 'dist/ is missing: build first (npx tsup)').toBe(true);
    const [appPort, providerPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [script], {
      cwd: root,
      env: { ...process.env, PORT: String(appPort), PROVIDER_PORT: String(providerPort), DEMO_REDIRECT_URIS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${stdout}${stderr}`)), 15_000);
        void exited.then((code) => reject(new Error(`the demo exited (${code}) before it was ready:\n${stdout}${stderr}`)));
        child.stdout.on('data', () => stdout.includes('Press Ctrl+C to stop.') && (clearTimeout(timer), resolve()));
      });
      const stderrAtBanner = stderr.length;
      const origin = `http://localhost:${appPort}`;
      // The printed URL serves the demo: opening it prints nothing below the banner either.
      const page = await fetch(`${origin}/demo/`);
      expect(page.status).toBe(200);
      await page.text();
      // Room for anything late (a deprecation warning, a log line on the first request).
      await new Promise((resolve) => setTimeout(resolve, 1000));

      expect(nonEmptyLines(stdout).slice(-8)).toEqual([
        'oidc-session demo',
        `Browser mode, npm build:  ${origin}/demo/`,
        `Browser mode, CDN build:  ${origin}/demo/cdn.html`,
        `Session-server mode:      ${origin}/demo/session-server.html   (tokens stay on the server)`,
        `Provider:                 http://localhost:${providerPort}   (any user name signs in)`,
        expect.stringMatching(/^Your own app: +DEMO_REDIRECT_URIS=http:\/\/localhost:5173\/ npm run demo \(client id [\w-]+\)$/),
        'Access tokens live 60 s, so "Get access token" shows a refresh every 30 s or so.',
        'Press Ctrl+C to stop.',
      ]);
      // Nor does the other stream write below it in the terminal.
      expect(stderr.slice(stderrAtBanner)).toBe('');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
