// The tabs of one WebDriver session, with the few commands the flows need. WebDriver has one current
// window per session, so every command runs in a queue that first switches to its tab: two tabs can be
// driven "at once" (polled in turn) without one tab's command landing in the other.
import { By, type WebDriver } from 'selenium-webdriver';
import { COMMAND_TIMEOUT_MS, withTimeout } from './with-timeout.js';

export class WebKitBrowser {
  #queue: Promise<unknown> = Promise.resolve();
  #current: string | undefined;
  readonly tabs: WebKitTab[] = [];

  private constructor(readonly driver: WebDriver) {}

  /** Wraps a new session; its one window is the first tab. */
  static async open(driver: WebDriver): Promise<WebKitBrowser> {
    const browser = new WebKitBrowser(driver);
    const handle = await withTimeout(driver.getWindowHandle(), COMMAND_TIMEOUT_MS, 'getWindowHandle');
    browser.#current = handle;
    browser.tabs.push(new WebKitTab(browser, handle));
    return browser;
  }

  /** Runs `command` in `handle`'s tab once the commands before it are done; time-boxed. */
  run<T>(handle: string | undefined, what: string, command: (driver: WebDriver) => Promise<T>, ms = COMMAND_TIMEOUT_MS): Promise<T> {
    const next = this.#queue.then(async () => {
      if (handle !== undefined && handle !== this.#current) {
        await withTimeout(this.driver.switchTo().window(handle), COMMAND_TIMEOUT_MS, `switching to tab ${handle}`);
        this.#current = handle;
      }
      return withTimeout(command(this.driver), ms, what);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Opens a new, blank tab. */
  async newTab(): Promise<WebKitTab> {
    const handle = await this.run(undefined, 'opening a tab', async (driver) => {
      // New windows open from the current one, which must still be open.
      if (this.#current === undefined) await driver.switchTo().window((this.tabs[0] as WebKitTab).handle);
      await driver.switchTo().newWindow('tab');
      // Inside the queue: the next command must know the session has moved to the new tab.
      this.#current = await driver.getWindowHandle();
      return this.#current;
    });
    const tab = new WebKitTab(this, handle);
    this.tabs.push(tab);
    return tab;
  }

  /** Closes `tab` (never the last one: closing the last window ends the WebDriver session). */
  async close(tab: WebKitTab): Promise<void> {
    if (this.tabs.length === 1) throw new Error('WebKit: closing the last tab would end the session; open another first');
    await this.run(tab.handle, 'closing a tab', async (driver) => {
      await driver.close();
      this.tabs.splice(this.tabs.indexOf(tab), 1);
      // No current window now: the next command switches first.
      this.#current = undefined;
    });
  }
}

export class WebKitTab {
  constructor(readonly browser: WebKitBrowser, readonly handle: string) {}

  /** Runs `fn` in the page (a Promise it returns is awaited) and returns its JSON-able result. */
  evaluate<R, A extends unknown[]>(fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    return this.browser.run(this.handle, `evaluating ${fn.name || 'a script'}`, (driver) => driver.executeScript(fn, ...args)) as Promise<Awaited<R>>;
  }

  /** Navigates and waits for the load event (selenium's pageLoad timeout applies too). */
  goto(url: string): Promise<void> {
    return this.browser.run(this.handle, `loading ${url}`, (driver) => driver.get(url));
  }

  reload(): Promise<void> {
    return this.browser.run(this.handle, 'reloading', (driver) => driver.navigate().refresh());
  }

  /** WebDriver's Back: in WebKitWebDriver it returns once the previous page is shown, also from the back-forward cache. */
  back(): Promise<void> {
    return this.browser.run(this.handle, 'going back', (driver) => driver.navigate().back());
  }

  url(): Promise<string> {
    return this.browser.run(this.handle, 'reading the URL', (driver) => driver.getCurrentUrl());
  }

  fill(css: string, text: string): Promise<void> {
    return this.browser.run(this.handle, `typing into ${css}`, async (driver) => {
      const field = await driver.findElement(By.css(css));
      await field.clear();
      await field.sendKeys(text);
    });
  }

  click(css: string): Promise<void> {
    return this.browser.run(this.handle, `clicking ${css}`, async (driver) => (await driver.findElement(By.css(css))).click());
  }

  /** Cookies visible to the tab's current document, as `name=value` lines. */
  async cookieText(): Promise<string> {
    const cookies = await this.browser.run(this.handle, 'reading cookies', (driver) => driver.manage().getCookies());
    return cookies.map((c) => `${c.name}=${c.value}`).join('\n');
  }

  /**
   * Polls until `fn` returns something truthy in the page (at most `timeout` ms) and returns it. A
   * poll that fails while the tab navigates is tried again; the last failure is in the timeout error.
   */
  async waitFor<R, A extends unknown[]>(what: string, timeout: number, fn: (...args: A) => R, ...args: A): Promise<Awaited<R>> {
    return this.#poll(what, timeout, () => this.evaluate(fn, ...args));
  }

  /** Polls the address bar until `accept` says yes. */
  async waitForUrl(what: string, accept: (url: URL) => boolean, timeout = 10_000): Promise<URL> {
    return this.#poll(what, timeout, async () => {
      const url = new URL(await this.url());
      return accept(url) ? url : undefined;
    });
  }

  async #poll<T>(what: string, timeout: number, attempt: () => Promise<T>): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeout;
    let last: unknown = 'nothing yet';
    for (;;) {
      try {
        const value = await attempt();
        if (value) return value as NonNullable<T>;
        last = value;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) throw new Error(`WebKit: ${what} did not happen within ${timeout} ms (last: ${last})`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
