// One WebKitWebDriver (and the MiniBrowser it spawns) per Playwright worker, on its own X display.
// Each test gets a new WebDriver session: a new MiniBrowser whose storage starts empty (automation
// sessions are ephemeral), as a Playwright test gets a new browser context.
import { Builder, Capabilities, type WebDriver } from 'selenium-webdriver';
import { freePort } from '../support/redis-server.mjs';
import { spawnGroup, type GroupProcess } from './process-group.js';
import { startXvfb, type Display } from './xvfb.js';
import { withTimeout } from './with-timeout.js';

const DRIVER = process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver';
const MINIBROWSER = process.env.WEBKIT_MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
const SESSION_START_MS = 20_000;

/** Selenium's own limits, below ours, so that a slow page or script fails with WebDriver's error first. */
const SESSION_TIMEOUTS = { script: 12_000, pageLoad: 12_000, implicit: 0 };

export interface WebKitDriver {
  /** A new session with a new MiniBrowser. */
  newSession(): Promise<WebDriver>;
  /** Ends a session; a session that does not end in time takes the driver down with it (restarted on demand). */
  endSession(driver: WebDriver): Promise<void>;
  /** Stops the driver, every browser it started, and the display. */
  stop(): Promise<void>;
}

export async function startWebKitDriver(): Promise<WebKitDriver> {
  const display: Display = await startXvfb();
  let server: { process: GroupProcess; url: string } | undefined;

  const startServer = async () => {
    const port = await freePort();
    const driverProcess = spawnGroup(DRIVER, [`--port=${port}`], { DISPLAY: display.name });
    const url = `http://127.0.0.1:${port}`;
    await withTimeout(waitUntilListening(url, driverProcess), 10_000, 'starting WebKitWebDriver').catch(async (error) => {
      await driverProcess.stop();
      throw error;
    });
    return { process: driverProcess, url };
  };
  const stopServer = async () => {
    await server?.process.stop();
    server = undefined;
  };

  const tryNewSession = async () => {
    server ??= await startServer();
    const capabilities = new Capabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    });
    const driver = await withTimeout(
      new Builder().usingServer(server.url).withCapabilities(capabilities).build() as unknown as Promise<WebDriver>,
      SESSION_START_MS,
      'creating a session',
    );
    await withTimeout(driver.manage().setTimeouts(SESSION_TIMEOUTS), 5000, 'setting timeouts');
    return driver;
  };

  return {
    async newSession() {
      try {
        return await tryNewSession();
      } catch (first) {
        // Infrastructure retry, not a test retry: session creation has been seen to hang about once in
        // ten starts. Kill the driver with whatever browser it half started, and try exactly once more.
        console.warn(`WebKit: retrying the session start once (${first})`);
        await stopServer();
        try {
          return await tryNewSession();
        } catch (second) {
          await stopServer();
          throw new Error(`WebKit: no session after two attempts: ${first}; then ${second}`);
        }
      }
    },
    async endSession(driver) {
      try {
        await withTimeout(driver.quit(), 10_000, 'ending the session');
      } catch {
        await stopServer();
      }
    },
    async stop() {
      await stopServer();
      await display.stop();
    },
  };
}

/** Resolves once WebKitWebDriver answers /status; rejects if it exits first. */
async function waitUntilListening(url: string, driver: GroupProcess): Promise<void> {
  for (;;) {
    if (driver.child.exitCode !== null || driver.child.signalCode !== null) throw new Error(`WebKitWebDriver exited:\n${driver.output()}`);
    const ok = await fetch(`${url}/status`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
