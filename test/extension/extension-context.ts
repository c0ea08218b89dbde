// Launches Chromium with the test extension (test/extension/fixture/) loaded unpacked, for tests of
// sign-in through chrome.identity.launchWebAuthFlow. Usage and limits: test/extension/README.md.
import { chromium, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { createHash } from 'node:crypto';
import { cp, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumLaunchOptions } from '../browsers/chromium.js';

const FIXTURE_DIR = fileURLToPath(new URL('./fixture/', import.meta.url));

/** What runAuthFlow() (fixture/auth-flow.js) resolves with. */
export type AuthFlowOutcome = { url: string; error?: undefined } | { url?: undefined; error: string };

/** Options of launchWebAuthFlow besides `url`; `interactive` defaults to true in runAuthFlow(). */
export interface AuthFlowOptions {
  interactive?: boolean;
  abortOnLoadForNonInteractive?: boolean;
  timeoutMsForNonInteractive?: number;
}

export interface ExtensionLaunchOptions {
  /** Default true (Chromium's new headless mode, which runs extensions). */
  headless?: boolean;
  /**
   * The extension directory to copy and load instead of fixture/ (e.g. examples/extension). Its
   * manifest must end up with a `key` and a service worker: add them with `manifest`.
   */
  source?: string;
  /** The extension page opened in the first tab (`page`); default `page.html`. */
  page?: string;
  /**
   * More files for the extension, by their name inside it (added or replaced): an absolute path to
   * copy, e.g. the SDK bundle `{ 'oidc-session.js': join(ROOT, 'dist/oidc-session.global.js') }` (MV3
   * loads packaged scripts only), or `{ text }` to write.
   */
  files?: Record<string, string | { text: string }>;
  /** Adjusts manifest.json of this launch's copy (e.g. adds host_permissions, or the fixture's `key`). */
  manifest?: (manifest: Record<string, unknown>) => Record<string, unknown>;
}

export interface ExtensionContext {
  /** The persistent context the extension runs in (its own temporary profile). */
  context: BrowserContext;
  extensionId: string;
  /** `chrome-extension://<id>` */
  origin: string;
  /** What chrome.identity.getRedirectURL(path) returns: `https://<id>.chromiumapp.org/<path>`. */
  redirectUrl: (path?: string) => string;
  /** The extension's service worker (fixture/background.js). */
  worker: Worker;
  /** A tab on the extension's page.html (or the `page` asked for). */
  page: Page;
  /** Closes the browser and removes the profile and the extension copy. */
  close: () => Promise<void>;
}

/** The id Chromium derives from a manifest `key`: the SHA-256 of the DER public key, first 32 hex digits as a–p. */
export function extensionIdFromKey(key: string): string {
  const hex = createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join('');
}

/** The fixture's manifest, as in the repository. */
export async function fixtureManifest(): Promise<Record<string, unknown> & { key: string }> {
  return JSON.parse(await readFile(join(FIXTURE_DIR, 'manifest.json'), 'utf8'));
}

/** The fixture's pinned id, known before any browser starts (to register redirect URIs at a provider). */
export async function fixtureExtensionId(): Promise<string> {
  return extensionIdFromKey((await fixtureManifest()).key);
}

/** `https://<id>.chromiumapp.org/<path>`, as chrome.identity.getRedirectURL(path) builds it. */
export function chromiumAppUrl(extensionId: string, path = ''): string {
  return `https://${extensionId}.chromiumapp.org/${path}`;
}

/**
 * Starts Chromium with a fresh profile and a copy of the fixture extension (or of `source`), waits for
 * its service worker and opens page.html (or `page`).
 */
export async function launchExtension(options: ExtensionLaunchOptions = {}): Promise<ExtensionContext> {
  const extensionDir = await mkdtemp(join(tmpdir(), 'oidc-ext-'));
  const userDataDir = await mkdtemp(join(tmpdir(), 'oidc-ext-profile-'));
  const sourceDir = options.source ?? FIXTURE_DIR;
  const pageName = options.page ?? 'page.html';
  let context: BrowserContext | undefined;
  try {
    await cp(sourceDir, extensionDir, { recursive: true });
    for (const [name, source] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(extensionDir, name)), { recursive: true });
      if (typeof source === 'string') await copyFile(source, join(extensionDir, name));
      else await writeFile(join(extensionDir, name), source.text);
    }
    const manifest = JSON.parse(await readFile(join(sourceDir, 'manifest.json'), 'utf8'));
    const finalManifest = options.manifest ? options.manifest(manifest) : manifest;
    if (typeof finalManifest.key !== 'string') throw new Error('the manifest has no key: add the fixture\'s through `manifest`');
    await writeFile(join(extensionDir, 'manifest.json'), JSON.stringify(finalManifest, null, 2));
    const extensionId = extensionIdFromKey(finalManifest.key);

    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumLaunchOptions.executablePath,
      headless: options.headless ?? true,
      // Playwright passes --disable-extensions; --disable-extensions-except overrides it in Chromium, but
      // dropping it keeps the launch independent of that precedence.
      ignoreDefaultArgs: ['--disable-extensions'],
      args: [...chromiumLaunchOptions.args, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
    });
    const origin = `chrome-extension://${extensionId}`;
    const worker =
      context.serviceWorkers().find((w) => w.url().startsWith(origin + '/')) ??
      (await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(origin + '/'), timeout: 10_000 }));
    const page = await context.newPage();
    // Resolves on the load event, once the page's classic scripts have run.
    await page.goto(`${origin}/${pageName}`);
    if (sourceDir === FIXTURE_DIR && pageName === 'page.html') await page.waitForFunction(() => typeof (globalThis as any).runAuthFlow === 'function');

    const opened = context;
    return {
      context: opened,
      extensionId,
      origin,
      redirectUrl: (path = '') => chromiumAppUrl(extensionId, path),
      worker,
      page,
      close: async () => {
        await opened.close();
        await rm(userDataDir, { recursive: true, force: true });
        await rm(extensionDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    await rm(userDataDir, { recursive: true, force: true });
    await rm(extensionDir, { recursive: true, force: true });
    throw error;
  }
}

/** Runs launchWebAuthFlow from the extension's page (or its service worker, `from: ext.worker`). */
export function runAuthFlow(from: Page | Worker, url: string, options: AuthFlowOptions = {}): Promise<AuthFlowOutcome> {
  const run = ([u, o]: readonly [string, AuthFlowOptions]): Promise<AuthFlowOutcome> => (globalThis as any).runAuthFlow(u, o);
  const arg = [url, options] as const;
  return 'mainFrame' in from ? from.evaluate(run, arg) : from.evaluate(run, arg);
}

/**
 * Starts an interactive flow and hands back the auth window Chromium opens for it (a Playwright page
 * of the context: fill forms in it as in any tab) and the flow's outcome, which settles once the window
 * reaches the chromiumapp.org redirect (the window then closes) or is closed.
 */
export async function startAuthFlow(ext: ExtensionContext, url: string, from: Page | Worker = ext.page) {
  const opened = ext.context.waitForEvent('page', { timeout: 10_000 });
  const outcome = runAuthFlow(from, url, { interactive: true });
  const authWindow = await Promise.race([opened, outcome.then((o) => Promise.reject(new Error(`the flow ended without a window: ${JSON.stringify(o)}`)))]);
  return { authWindow, outcome };
}

/** In the auth window on (or going to) the demo provider's login form: signs in as `user`. */
export async function signInAtProvider(authWindow: Page, user = 'ada'): Promise<void> {
  await authWindow.waitForSelector('input[name=login]');
  await authWindow.fill('input[name=login]', user);
  await authWindow.click('button.primary');
}

/** In the auth window on the demo provider's sign-out confirmation: confirms. */
export async function confirmLogoutAtProvider(authWindow: Page): Promise<void> {
  await authWindow.click('button[name=logout][value=yes]');
}

/** Opens another tab of the extension on `path` (e.g. a second popup.html), once its scripts have run. */
export async function openExtensionPage(ext: ExtensionContext, path: string): Promise<Page> {
  const page = await ext.context.newPage();
  await page.goto(`${ext.origin}/${path}`);
  return page;
}
