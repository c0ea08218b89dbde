// The README's npm quick start on the server (Node, no window): its client module imports and
// constructs without touching the browser, and a call says it needs one (server-side rendering).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readmeAppFiles } from '../support/readme-blocks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe("the README's quick start under server-side rendering", () => {
  it('auth.ts imports and constructs; the state is loading and every call is browser_required', async () => {
    const source = readmeAppFiles()['auth.ts'];
    expect(source).toBeDefined();
    const dir = join(root, 'node_modules/.cache/readme-quick-start');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'auth.ts');
    // The built package, as an app would import it.
    writeFileSync(file, (source as string).replace("from 'oidc-session'", `from ${JSON.stringify(join(root, 'dist/index.js'))}`));
    const { auth } = await import(/* @vite-ignore */ file);
    expect(auth.state).toEqual({ status: 'loading' });
    for (const call of [() => auth.handleRedirect(), () => auth.login(), () => auth.getAccessToken(), () => auth.getUser(), () => auth.logout()]) {
      await expect(call()).rejects.toMatchObject({ code: 'browser_required' });
    }
  });
});

// Until the first release, `npm install oidc-session` finds nothing: the quick start must say so, and how
// to install the package today. (Update this test, and the README, when the package is published.)
describe("the README's install instructions", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; scripts: Record<string, string> };
  const quickStart = readme.slice(readme.indexOf('## Quick start (npm)'), readme.indexOf('## Quick start (script tag)'));

  it('say the package is not on the npm registry yet', () => {
    expect(quickStart).toContain('**Not on the npm registry yet.**');
    expect(quickStart).toContain('The CDN URLs below work once the package is published.');
  });

  it("say how to install it today: a tarball from `npm pack`, named after this version, as test:pack does", () => {
    const tarball = `${pkg.name}-${pkg.version}.tgz`;
    expect(quickStart).toContain('`npm install && npm run build && npm pack` there makes `' + tarball + '`');
    expect(quickStart).toContain('`npm install /path/to/' + tarball + '` in your app installs it');
    expect(quickStart).toContain('`npm run test:pack`');
    expect(pkg.scripts['test:pack']).toBe('node test/package/pack-smoke.mjs');
  });
});
