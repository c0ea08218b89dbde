import { ConfigError } from '../errors/errors.js';
import { LoopbackError } from './loopback-error.js';
import { resolveListenOptions, type ListenOptions, type ResolvedListenOptions } from './listen-options.js';
import { createServer, type LoopbackRequest, type LoopbackResponse, type LoopbackServer } from './node-http.js';
import { answerParserError, sendRefusal, sendSuccess } from './responses.js';
import { sameString, screenRequest, type CallbackTarget } from './screen-request.js';

/** A one-shot HTTP listener on a loopback address, waiting for one login response. */
export interface LoopbackListener {
  /** The redirect URI to send in the authorization request, e.g. `http://127.0.0.1:49152/callback`. */
  readonly redirectUri: string;
  /**
   * Resolves with the full URL of the login response (`redirectUri` + `?` + the query as the
   * browser sent it) once it arrived and the browser got its page; the listener is closed by then.
   * Rejects with a {@link LoopbackError} on timeout, abort or {@link LoopbackListener.close}.
   */
  readonly callback: Promise<string>;
  /**
   * Stops listening and drops every connection; a pending `callback` rejects (`reason: 'aborted'`).
   * Resolves once the server is closed. Safe to call any number of times.
   */
  close(): Promise<void>;
}

/** Node's parser refuses request lines and headers above this many bytes (431), before any listener runs. */
const MAX_HEADER_BYTES = 16 * 1024;
// A browser sends its whole request at once; a client that dribbles bytes is dropped.
const REQUEST_DEADLINE_MS = 10_000;

/**
 * Listens on a random port of a loopback address for the one login response of a desktop or CLI
 * app's login (RFC 8252 §7.3): register `http://127.0.0.1/callback` (any port) at the provider, send
 * {@link LoopbackListener.redirectUri} in the authorization request, and hand
 * {@link LoopbackListener.callback} to the client. The first GET to the path with `state` and `code`
 * or `error` ends the wait; anything else is refused and the listener keeps waiting. Requests with
 * another `Host` (DNS rebinding), an `Origin`, or from a browser that says they are not a top-level
 * navigation are refused too.
 *
 * Node only (`node:http`).
 *
 * @throws {ConfigError} for an invalid option, or when the address cannot be bound (`host`).
 * @throws {LoopbackError} when `signal` is already aborted.
 */
export async function listenForCallback(options?: ListenOptions): Promise<LoopbackListener> {
  const resolved = resolveListenOptions(options);
  const { expectedState } = resolved;
  return startListener(resolved, expectedState === undefined ? () => true : (state) => sameString(state, expectedState));
}

/**
 * {@link listenForCallback} with a `state` check decided per request: {@link loopbackLogin} learns
 * the state from the authorization URL only after the listener started.
 * @internal
 */
export async function startListener(options: ResolvedListenOptions, acceptState: (state: string) => boolean): Promise<LoopbackListener> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);

  // Set once the port is known; until then (never in practice) every request is refused.
  let target: CallbackTarget | undefined;
  let redirectUri = '';
  let phase: 'waiting' | 'accepted' | 'over' = 'waiting';
  let listening = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resolveCallback!: (url: string) => void;
  let rejectCallback!: (error: unknown) => void;
  const callback = new Promise<string>((resolve, reject) => {
    resolveCallback = resolve;
    rejectCallback = reject;
  });
  // An app that closes the listener without awaiting `callback` must not get an unhandled rejection
  // (which ends a Node process); whoever awaits it still sees the error.
  callback.catch(() => undefined);
  const onAbort = () => stop(abortError(signal!));

  const handle = (request: LoopbackRequest, response: LoopbackResponse) => {
    // Nothing a client sends may throw out of here: in Node that ends the app's process.
    try {
      onRequest(request, response);
    } catch {
      dropAnswer(response);
    }
  };
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: REQUEST_DEADLINE_MS, requestTimeout: REQUEST_DEADLINE_MS }, handle);
  // No body is ever read, so no "100 Continue" (Node's default) and no automatic 417: requests with
  // an Expect header are screened like any other.
  server.on('checkContinue', handle);
  server.on('checkExpectation', handle);
  server.on('clientError', (error, socket) => {
    try {
      answerParserError(error, socket);
    } catch {
      // The socket is beyond answering; the connection sweep at the end closes it.
    }
  });

  function onRequest(request: LoopbackRequest, response: LoopbackResponse): void {
    if (phase !== 'waiting' || !target) return sendRefusal(response, 410, 'this login is over');
    const verdict = screenRequest(request, target);
    if (!verdict.accept) return sendRefusal(response, verdict.status, verdict.message);
    phase = 'accepted';
    endWait();
    const url = `${redirectUri}?${verdict.query}`;
    // Resolved once the page is on its way (or the connection is gone), so an app that closes the
    // listener as soon as it has the URL does not cut the browser's page off.
    response.once('close', () => {
      phase = 'over';
      server.closeAllConnections();
      resolveCallback(url);
    });
    sendSuccess(response, options.page);
  }
  function stop(error: LoopbackError): void {
    if (phase !== 'waiting') return;
    phase = 'over';
    endWait();
    server.closeAllConnections();
    rejectCallback(error);
  }
  function endWait(): void {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    stopListening();
  }
  function stopListening(): void {
    if (!listening) return;
    listening = false;
    // New connections are refused from now on; open ones are swept by the caller.
    server.close();
  }

  const port = await listen(server, options.host);
  listening = true;
  const authority = options.host === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}`;
  redirectUri = `http://${authority}${options.path}`;
  target = { authority, path: options.path, acceptState };
  // After listening, a server error (a failed accept, out of file descriptors) is transient: keep waiting.
  server.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => server.once('close', resolve));

  timer = setTimeout(() => stop(new LoopbackError('timeout', `loopback login: no callback within ${options.timeoutMs} ms`)), options.timeoutMs);
  signal?.addEventListener('abort', onAbort, { once: true });
  // Aborted while the port was being bound: that event has come and gone.
  if (signal?.aborted) onAbort();

  return {
    redirectUri,
    callback,
    close() {
      if (phase === 'waiting') stop(new LoopbackError('aborted', 'loopback login: closed before the callback arrived'));
      else {
        stopListening();
        server.closeAllConnections();
      }
      return closed;
    },
  };
}

/** Binds `host` on a port the OS picks. Resolves with the port. */
function listen(server: LoopbackServer, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error & { code?: string }) => {
      const failure = new ConfigError('host', `cannot listen on ${host}${error.code ? ` (${error.code})` : ''}`);
      failure.cause = error;
      reject(failure);
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.removeListener('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
    // Port 0: the OS picks a free one, different for every login (RFC 8252 §7.3).
    server.listen(0, host);
  });
}

function abortError(signal: AbortSignal): LoopbackError {
  return new LoopbackError('aborted', 'loopback login: aborted', signal.reason);
}

/** After an unexpected failure while answering: a 500 if nothing was sent yet, else drop the connection. */
function dropAnswer(response: LoopbackResponse): void {
  try {
    if (response.headersSent) response.destroy();
    else sendRefusal(response, 500, 'internal error');
  } catch {
    try {
      response.destroy();
    } catch {
      // Gone already; the connection sweep at the end closes whatever is left.
    }
  }
}
