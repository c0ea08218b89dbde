// The desktop/CLI example runs as a newcomer would run it (node examples/desktop-cli/login.mjs, its own
// local provider), with a browser context as the system browser: the example cannot go stale.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures.js';

const example = fileURLToPath(new URL('../../examples/desktop-cli/login.mjs', import.meta.url));

test('examples/desktop-cli signs in through the browser and prints the user and a token', async ({ systemBrowser }) => {
  const child = spawn(process.execPath, [example], { env: { ...process.env, BROWSER: 'none' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await expect.poll(() => /^http:\/\/localhost:\d+\/auth\?\S+$/m.exec(output)?.[0], { timeout: 15_000 }).toBeTruthy();
    const url = /^http:\/\/localhost:\d+\/auth\?\S+$/m.exec(output)?.[0] as string;
    await systemBrowser.goto(url);
    await systemBrowser.fill('input[name=login]', 'ada');
    await systemBrowser.click('button.primary');
    expect(await exited).toBe(0);
    expect(output).toContain('Signed in as Ada');
    expect(output).toMatch(/Access token: .{8}… \(\d+ characters\)/);
  } finally {
    child.kill();
  }
});
