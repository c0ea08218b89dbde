import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';

// These tests read the built package: `npm test` builds first.
const dist = (file: string) => new URL(`../../dist/${file}`, import.meta.url);
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const options = { issuer: 'https://op.test', clientId: 'spa', redirectUri: 'https://rp.test/cb' };

/** A declaration file and every declaration chunk it imports (`./client-<hash>.js`), as one text. */
function withLocalImports(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return '';
  seen.add(file);
  const text = readFileSync(dist(file), 'utf8');
  const chunks = [...text.matchAll(/from '\.\/([\w-]+)\.c?js'/g)].map(([, name]) => `${name}${file.endsWith('.d.cts') ? '.d.cts' : '.d.ts'}`);
  return [text, ...chunks.map((chunk) => withLocalImports(chunk, seen))].join('\n');
}

/** A built ES module and every local module it imports, transitively (`./chunk-<hash>.js`), as one text. */
function withLocalModules(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return '';
  seen.add(file);
  const text = readFileSync(dist(file), 'utf8');
  const imported = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']\.\/([\w.-]+\.js)["']/g)].map(([, name]) => name as string);
  return [text, ...imported.map((name) => withLocalModules(name, seen))].join('\n');
}

/** The code only: comments left out (the core's docs may name React's hook it was made for). */
const codeOf = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

// What binding code would bring: an import of a framework, React's hook, and what only src/bindings
// defines (names the ESM builds keep, strings the minified script-tag builds keep too).
const FRAMEWORK_IMPORT = /(?:\bfrom|\bimport|\brequire)\s*\(?\s*["'](?:react|react-dom|vue|svelte|@angular\/[\w-]+)(?:\/[\w/-]*)?["']/;
const BINDING_ONLY = [
  'useSyncExternalStore', 'createContext', 'shallowRef', 'InjectionToken', 'standardClaims', 'bindingFor', 'startRedirect', 'setRedirectHandler',
  'methodsFor', 'AuthProvider', 'RequireAuth', 'withAuthenticationRequired', 'createAuthGuard', 'authStore', 'provideAuth', 'injectAuth',
  'OidcSessionAuth', 'oidc-session client', 'oidc-session options', 'preferred_username', 'subscribe() expects a function',
  'expected a client (AuthClient from', 'useAuth() needs', 'base[href]',
];

describe('the built package', () => {
  it('imports by its own name through the exports map (ESM) and is safe without a browser (SSR)', async () => {
    const sdk = await import('oidc-session');
    const client = new sdk.AuthClient(options);
    // No browser here: the state stays "loading" (the browser settles it, and hydration agrees with
    // the server's render), and a call that needs the browser says so instead of crashing the render.
    expect(client.state.status).toBe('loading');
    await expect(client.getUser()).rejects.toMatchObject({ code: 'browser_required' });
    expect(Object.keys(sdk).sort()).toEqual(
      ['AuthClient', 'AuthError', 'ConfigError', 'LoginRequiredError', 'NetworkError', 'OAuthError', 'ProtocolError', 'StorageError', 'indexedDbStorage', 'isAuthError', 'memoryStorage'].sort(),
    );
  });

  it('requires by its own name in CommonJS on this Node version', () => {
    const sdk = require('oidc-session');
    expect(typeof sdk.AuthClient).toBe('function');
    expect(() => new sdk.AuthClient({ ...options, issuer: 'http://op.example' })).toThrow(sdk.ConfigError);
  });

  it('lets the CommonJS feature entries use a client made by the CommonJS main entry (each bundles its own copy)', async () => {
    const require = createRequire(import.meta.url);
    const { AuthClient } = require('oidc-session');
    const { fetchUserInfo } = require('oidc-session/userinfo');
    const client = new AuthClient({ issuer: 'https://op.test', clientId: 'app', redirectUri: 'https://app.test/cb' });
    // Recognised as a client (not ConfigError "auth"): it gets as far as the session, which Node cannot start.
    const error = await fetchUserInfo(client).catch((e: { code?: string }) => e);
    expect(error.code).toBe('browser_required');
  });

  it('runs the CDN build as a classic script that defines window.OidcSession, with its dependencies inside', () => {
    const source = readFileSync(dist('oidc-session.global.js'), 'utf8');
    expect(source).not.toMatch(/\brequire\(|^import |\bfrom"oauth4webapi"|\bfrom"idb-keyval"/m);
    const window: Record<string, any> = {};
    runInNewContext(source, Object.assign(window, { window, self: window, globalThis: window, URL, Symbol, TextEncoder, TextDecoder }));
    expect(typeof window.OidcSession.AuthClient).toBe('function');
    expect(window.OidcSession.isAuthError(new window.OidcSession.ProtocolError('state_missing', 'x'))).toBe(true);
    // Script-tag apps cannot import: the CDN file carries the optional storage adapters too.
    expect(window.OidcSession.memoryStorage()).toMatchObject({ perTab: true });
    expect(typeof window.OidcSession.indexedDbStorage().get).toBe('function');
  });

  it('keeps oauth4webapi types out of the public declarations', () => {
    for (const file of ['index.d.ts', 'index.d.cts']) {
      const types = withLocalImports(file);
      expect(types).not.toMatch(/oauth4webapi|idb-keyval/);
      expect(types).toContain('declare class AuthClient');
    }
  });

  it('keeps each side to its own entry: no server code in the browser files, no OAuth machinery in session-server mode', () => {
    for (const file of ['index.js', 'oidc-session.global.js', 'server-mode.js', 'oidc-session-server-mode.global.js']) {
      expect(readFileSync(dist(file), 'utf8')).not.toMatch(/createSessionServer|redisStore|SessionStoreError/);
    }
    for (const file of ['server-mode.js', 'oidc-session-server-mode.global.js']) {
      const source = readFileSync(dist(file), 'utf8');
      expect(source).not.toMatch(/oauth4webapi|idb-keyval|code_verifier|indexedDB/);
      expect(source).toMatch(/x-oidc-session/);
    }
  });

  it('carries no binding code in the core entries and their CDN builds: no framework import, no binding identifier', () => {
    // The patterns find binding code where it is: in the bindings' own files (and their chunks).
    const bindings = ['react.js', 'vue.js', 'svelte.js', 'angular.js'].map((file) => codeOf(withLocalModules(file))).join('\n');
    expect(bindings).toMatch(FRAMEWORK_IMPORT);
    for (const name of BINDING_ONLY) expect(bindings, name).toContain(name);
    for (const file of ['index.js', 'server-mode.js', 'oidc-session.global.js', 'oidc-session-server-mode.global.js']) {
      const source = codeOf(withLocalModules(file));
      // Still the SDK after the comments went: the client class is there.
      expect(source, file).toMatch(/\bAuthClient\b|"x-oidc-session"|handleRedirect/);
      expect(source, file).not.toMatch(FRAMEWORK_IMPORT);
      for (const name of BINDING_ONLY) expect(source, `${file}: ${name}`).not.toContain(name);
    }
  });

  it('declares exactly its three runtime dependencies and points CDNs at the IIFE', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['idb-keyval', 'jose', 'oauth4webapi']);
    expect(pkg.unpkg).toBe('./dist/oidc-session.global.js');
    expect(pkg.jsdelivr).toBe('./dist/oidc-session.global.js');
    expect(pkg.sideEffects).toBe(false);
  });

  it('jose (the logout-token check) is imported by the server entry only, never by a browser file', () => {
    const browserFiles = readdirSync(dist('')).filter((file) => /\.(c?js)$/.test(file) && !/^server\.c?js$/.test(file));
    expect(browserFiles.length).toBeGreaterThan(5);
    for (const file of browserFiles) expect(readFileSync(dist(file), 'utf8'), file).not.toMatch(/["']jose["']/);
    expect(readFileSync(dist('server.js'), 'utf8')).toMatch(/from "jose"/);
  });
});
