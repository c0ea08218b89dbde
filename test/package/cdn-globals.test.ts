// The two CDN builds both expose window.OidcSession. Loading both on one page, or one twice, must not
// silently swap the AuthClient under code that already holds clients of the first: the first copy
// stays, and each later one is refused with a console error (src/platform/install-global.ts). These
// tests run the built files as classic scripts: `npm test` builds first.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

const dist = (file: string) => readFileSync(new URL(`../../dist/${file}`, import.meta.url), 'utf8');
const MAIN = 'oidc-session.global.js';
const SERVER_MODE = 'oidc-session-server-mode.global.js';

/** A fresh page: a global object with what the builds touch at load, and a console that records errors. */
function page() {
  const errors: unknown[][] = [];
  const window: Record<string, any> = {};
  Object.assign(window, { window, self: window, URL, Symbol, TextEncoder, TextDecoder, console: { error: (...args: unknown[]) => void errors.push(args), warn() {}, log() {} } });
  const load = (file: string) => runInNewContext(dist(file), window);
  return { window, errors, load };
}

describe('window.OidcSession with more than one CDN build on a page', () => {
  it('one build alone installs its exports, with no console error', () => {
    for (const file of [MAIN, SERVER_MODE]) {
      const { window, errors, load } = page();
      load(file);
      expect(typeof window.OidcSession.AuthClient, file).toBe('function');
      expect(errors, file).toEqual([]);
    }
  });

  it('the full build exports what the npm package exports, and session-server mode what its entry exports', async () => {
    const { window, load } = page();
    load(MAIN);
    expect(Object.keys(window.OidcSession).sort()).toEqual(Object.keys(await import('oidc-session')).sort());
    const other = page();
    other.load(SERVER_MODE);
    expect(Object.keys(other.window.OidcSession).sort()).toEqual(Object.keys(await import('oidc-session/server-mode')).sort());
  });

  it.each([
    [MAIN, SERVER_MODE],
    [SERVER_MODE, MAIN],
    [MAIN, MAIN],
    [SERVER_MODE, SERVER_MODE],
  ])('%s then %s: the first stays, the second is refused with one console error', (first, second) => {
    const { window, errors, load } = page();
    load(first);
    const installed = window.OidcSession;
    const client = installed.AuthClient;
    load(second);
    expect(window.OidcSession).toBe(installed);
    expect(window.OidcSession.AuthClient).toBe(client);
    // The two builds differ visibly: only the full one carries the storage adapters.
    expect(typeof window.OidcSession.memoryStorage).toBe(first === MAIN ? 'function' : 'undefined');
    expect(errors).toHaveLength(1);
    expect(String(errors[0]?.[0])).toMatch(/OidcSession already loaded/);
    // A third copy is refused the same way.
    load(second);
    expect(window.OidcSession).toBe(installed);
    expect(errors).toHaveLength(2);
  });

  it('a page global of the same name that is not ours is left alone too (refused loudly, not overwritten)', () => {
    const { window, errors, load } = page();
    window.OidcSession = { mine: true };
    load(MAIN);
    expect(window.OidcSession).toEqual({ mine: true });
    expect(errors).toHaveLength(1);
  });

  it('errors stay recognisable across the refused copy: isAuthError works on errors of either build', () => {
    const { window, load } = page();
    load(MAIN);
    const other = page();
    other.load(SERVER_MODE);
    expect(window.OidcSession.isAuthError(new other.window.OidcSession.ProtocolError('state_missing', 'x'))).toBe(true);
  });
});
