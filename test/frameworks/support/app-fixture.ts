// Shared infrastructure of the framework-app suites (test/frameworks/<name>/): builds a real Vite app
// against the BUILT package in dist/, serves it from the demo stack (oidc-provider, the app server and
// the session server), and hands the tests a Playwright `test` whose pages fail on uncaught errors.
// Usage: test/frameworks/support/README.md.
import { test as base, expect, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, mergeConfig, type InlineConfig } from 'vite';
import { startStack } from '../../../demo/stack.mjs';
import { pageErrorsFixture } from '../../support/page-checks.js';

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** The repository root (where dist/ and node_modules/ live). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIST = join(ROOT, 'dist');

/** Where the stack mounts the session server (demo/session-server.mjs): the `sessionServer` option of server mode. */
export const SESSION_SERVER_PATH = '/auth';

/** Access tokens live this long by default, so a test can see one expire and be refreshed. */
export const DEFAULT_ACCESS_TOKEN_TTL = 6;

export interface FrameworkAppOptions {
  /** A short name for messages and the temp folder, e.g. `vue`. */
  name: string;
  /** The app's folder: its index.html, sources and (optionally) vite.config.ts. */
  appDir: string;
  /** URL prefix the app is served under and built for (Vite's `base`). Default `/<name>/`. */
  base?: string;
  /**
   * The app's pages that act as redirect URIs and post-logout redirect URIs, registered at the provider.
   * Relative paths (`''`, `callback`) are under `base`; absolute ones (`/x/`) are used as they are.
   * Default: `['']`, the app's root.
   */
  pagePaths?: string[];
  /**
   * Build the app for session-server mode: the app reads `import.meta.env.VITE_OIDC_MODE`
   * (`'session-server'` here, `'browser'` otherwise) and `import.meta.env.VITE_SESSION_SERVER` (`/auth`).
   * The session server then sends the user back to the app's root (`base`) after logout.
   */
  sessionServer?: boolean;
  /** Seconds an access token lives at the provider. Default {@link DEFAULT_ACCESS_TOKEN_TTL}. */
  accessTokenTtl?: number;
  /**
   * `development` (default) builds the frameworks' development variants, unminified: React's
   * StrictMode double renders and effects, and the frameworks' warnings (hydration mismatches, ...),
   * exist only there. `production` for the real thing.
   */
  mode?: 'development' | 'production';
  /** Merged over the app's own vite.config.ts (or used alone when it has none): plugins, defines, ... */
  vite?: InlineConfig;
}

/** What the worker-scoped `app` fixture holds: the stack and the built app. */
export interface FrameworkApp {
  stack: Stack;
  /** Absolute URL of the app's root, e.g. `http://localhost:41234/vue/`. */
  baseUrl: string;
  /** The URL prefix the app was built for, e.g. `/vue/`. */
  base: string;
  /** The folder Vite built the app into (served under `base`). */
  outDir: string;
  mode: 'browser' | 'session-server';
}

/** Resolves `oidc-session` and its subpath exports to the built files in dist/, as an installed package would. */
export function distAliases() {
  return [
    { find: /^oidc-session$/, replacement: join(DIST, 'index.js') },
    { find: /^oidc-session\/(server-mode|react|vue|svelte|angular)$/, replacement: join(DIST, '$1.js') },
  ];
}

/** Builds the app with Vite into a fresh temp folder; resolves with that folder. */
export async function buildApp(options: FrameworkAppOptions): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), `oidc-${options.name}-`));
  await build(viteConfig(options, outDir));
  return outDir;
}

/**
 * Builds one module of the app for Node (Vite's SSR build, everything bundled, the package from dist/)
 * and imports it: a server entry that renders the app to HTML, for hydration tests. Same options as
 * the app's `frameworkTest` (mode, base). The temp folder is removed once imported.
 */
export async function importSsrEntry<T = Record<string, unknown>>(options: FrameworkAppOptions, entry: string): Promise<T> {
  const outDir = await mkdtemp(join(tmpdir(), `oidc-${options.name}-ssr-`));
  try {
    const config = mergeConfig(viteConfig(options, outDir), {
      build: { ssr: entry, sourcemap: false, rollupOptions: { output: { entryFileNames: 'entry.mjs' } } },
      // Bundled, so the module imports nothing from a temp folder without node_modules.
      ssr: { noExternal: true },
    } satisfies InlineConfig);
    await build(config);
    return (await import(pathToFileURL(join(outDir, 'entry.mjs')).href)) as T;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

function viteConfig(options: FrameworkAppOptions, outDir: string): InlineConfig {
  const base = options.base ?? `/${options.name}/`;
  const appDir = resolve(options.appDir);
  for (const file of ['index.js', 'server-mode.js']) {
    if (!existsSync(join(DIST, file))) throw new Error(`dist/${file} is missing: run \`npx tsup\` first`);
  }
  const configFile = join(appDir, 'vite.config.ts');
  const clientMode = options.sessionServer ? 'session-server' : 'browser';
  const mode = options.mode ?? 'development';
  const config: InlineConfig = {
    root: appDir,
    base,
    mode,
    configFile: existsSync(configFile) ? configFile : false,
    logLevel: 'warn',
    resolve: { alias: distAliases() },
    define: {
      'import.meta.env.VITE_OIDC_MODE': JSON.stringify(clientMode),
      // What selects React's (and others') development builds; Vite's mode alone does not.
      'process.env.NODE_ENV': JSON.stringify(mode),
      'import.meta.env.VITE_SESSION_SERVER': JSON.stringify(SESSION_SERVER_PATH),
    },
    build: { outDir, emptyOutDir: true, minify: false, sourcemap: true },
  };
  return options.vite ? mergeConfig(config, options.vite) : config;
}

/** The absolute paths of the app's redirect pages. */
function absolutePaths(base: string, pagePaths: string[] = ['']): string[] {
  return pagePaths.map((path) => (path.startsWith('/') ? path : base + path));
}

/**
 * A Playwright `test` for one framework app: a worker-scoped `app` fixture (the app built once per
 * worker, served by its own stack) and `stack`/`baseUrl` shortcuts; every test fails on an uncaught
 * error or unhandled rejection in any of its pages.
 */
export function frameworkTest(options: FrameworkAppOptions) {
  const base = options.base ?? `/${options.name}/`;
  if (!base.startsWith('/') || !base.endsWith('/')) throw new Error(`base must start and end with "/": ${base}`);
  return baseTest.extend<{ pageErrors: string[]; stack: Stack; baseUrl: string }, { app: FrameworkApp }>({
    app: [
      async ({}, use) => {
        const outDir = await buildApp({ ...options, base });
        const pagePaths = absolutePaths(base, options.pagePaths);
        const stack = await startStack({
          accessTokenTtl: options.accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL,
          pages: { [base]: outDir },
          pagePaths,
          spaFallback: [base],
          ...(options.sessionServer ? { sessionServerPostLogoutPath: base } : {}),
        });
        await use({
          stack,
          baseUrl: stack.app.origin + base,
          base,
          outDir,
          mode: options.sessionServer ? 'session-server' : 'browser',
        });
        await stack.close();
        await rm(outDir, { recursive: true, force: true });
      },
      // Building takes a while on a small machine.
      { scope: 'worker', timeout: 120_000 },
    ],
    stack: async ({ app }, use) => use(app.stack),
    baseUrl: async ({ app }, use) => use(app.baseUrl),
    pageErrors: pageErrorsFixture,
  });
}

const baseTest = base;
export { expect };

/**
 * On the provider's login form (the page must be there or on its way), signs in as `user` and waits
 * until the browser is back on the app (`baseUrl`).
 */
export async function fillProviderLogin(page: Page, stack: Stack, baseUrl: string, user = 'ada'): Promise<void> {
  await page.waitForURL((url) => url.origin === new URL(stack.provider.issuer).origin);
  await page.fill('input[name=login]', user);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(baseUrl)), page.click('button.primary')]);
}

/**
 * On the provider's logout confirmation page (the page must be there or on its way), confirms and
 * waits until the browser is back on the app (`baseUrl`).
 */
export async function confirmProviderLogout(page: Page, stack: Stack, baseUrl: string): Promise<void> {
  await page.waitForURL((url) => url.origin === new URL(stack.provider.issuer).origin);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(baseUrl)), page.click('button[name=logout]')]);
}

/** Collects the page's console messages of the given types (e.g. React's hydration warnings: `error`). */
export function collectConsole(page: Page, types: string[] = ['error', 'warning']): string[] {
  const messages: string[] = [];
  page.on('console', (message) => {
    if (types.includes(message.type())) messages.push(`${message.type()}: ${message.text()}`);
  });
  return messages;
}
