import { ConfigError } from '../errors/errors.js';
import { resolveListenOptions, type PageOption } from './listen-options.js';
import { startListener } from './listener.js';
import { sameString } from './screen-request.js';

/** What {@link loopbackLogin} passes to the client's `login()`. */
export interface LoopbackLoginRequest {
  /** The listener's redirect URI, for this one login. */
  redirectUri: string;
  /** Opens the authorization URL and resolves with the login response's URL, which `login()` then completes. */
  navigate: (url: string) => Promise<string>;
  returnTo?: string;
  params?: Readonly<Record<string, string>>;
}

/**
 * The one method {@link loopbackLogin} needs from a client: `login()` that takes a per-login
 * `redirectUri` and a `navigate` that hands the callback URL back, and resolves with the completed
 * login (`AuthClient` does).
 */
export interface LoopbackLoginClient<Result> {
  login(options: LoopbackLoginRequest): Promise<Result | void>;
}

/** Options of {@link loopbackLogin}. */
export interface LoopbackLoginOptions {
  /**
   * Opens the authorization URL in the user's browser (e.g. with the `open` package, or Electron's
   * `shell.openExternal`). Awaited when it returns a promise; a throw or rejection fails the login.
   */
  open: (url: string) => unknown;
  /** See {@link ListenOptions.host}. Default `127.0.0.1`. */
  host?: '127.0.0.1' | '::1';
  /** See {@link ListenOptions.path}. Default `/callback`. */
  path?: string;
  /** How long the login may take, from its start to the browser's return, in milliseconds. Default 300,000 (5 minutes). */
  timeoutMs?: number;
  /** Abandons the login: it rejects with a {@link LoopbackError} (`reason: 'aborted'`). */
  signal?: AbortSignal;
  /** Passed to `login()`. */
  returnTo?: string;
  /** Extra authorization parameters, passed to `login()`. */
  params?: Readonly<Record<string, string>>;
  /** What the browser shows once it came back; see {@link ListenOptions.page}. */
  page?: PageOption;
}

/**
 * The whole login of a desktop or CLI app (RFC 8252): listens on a random loopback port, has the
 * client build the authorization request for that redirect URI, opens it with `open`, waits for
 * the browser to come back, and lets the client complete the login. Only a response carrying the
 * `state` of the authorization URL that was opened ends the wait. The listener is closed however
 * it ends.
 *
 * @returns what the client's `login()` resolved with (for `AuthClient`, a `LoginResult`).
 * @throws {LoopbackError} on timeout or abort; whatever `open` or `login()` throw.
 * @throws {ConfigError} for an invalid option, or a `login()` that did not complete the login.
 */
export async function loopbackLogin<Result>(client: LoopbackLoginClient<Result>, options: LoopbackLoginOptions): Promise<Exclude<Result, void | undefined>> {
  if (typeof client?.login !== 'function') throw new ConfigError('client', 'expected an object with a login() method');
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', 'expected an object');
  const { open, returnTo, params, ...listen } = options;
  if (typeof open !== 'function') throw new ConfigError('open', 'expected a function');
  // The state check is this function's own; the listener's other options pass through.
  if ('expectedState' in listen) throw new ConfigError('expectedState', 'unknown option');

  // null until the authorization URL is known: a response arriving before it was opened is a probe.
  // undefined when that URL carries no state (a pushed request): the client checks it alone then.
  let expected: string | null | undefined = null;
  const listener = await startListener(resolveListenOptions(listen), (state) => expected === undefined || (expected !== null && sameString(state, expected)));
  try {
    const request: LoopbackLoginRequest = {
      redirectUri: listener.redirectUri,
      navigate: async (url) => {
        expected = stateOf(url);
        // Raced with the callback: an opener that never settles must not outlive the timeout.
        await Promise.race([Promise.resolve(open(url)), listener.callback]);
        return listener.callback;
      },
    };
    if (returnTo !== undefined) request.returnTo = returnTo;
    if (params !== undefined) request.params = params;
    const result = await client.login(request);
    if (result === undefined || result === null) throw new ConfigError('client', 'login() did not complete the login: it needs navigate() support');
    return result as Exclude<Result, void | undefined>;
  } finally {
    await listener.close();
  }
}

function stateOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('state') || undefined;
  } catch {
    return undefined;
  }
}
