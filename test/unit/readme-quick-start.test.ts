// The README's npm quick start on the server (Node, no window): its client module imports and
// constructs without touching the browser, and a call says it needs one (server-side rendering).
import { mkdirSync, writeFileSync } from 'node:fs';
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
