// The few parts of node:http the loopback listener uses, typed structurally: the package's own
// type-check runs without @types/node (as src/server/node.ts does), and the declarations below are
// all the listener relies on.
// @ts-ignore -- node:http only resolves where @types/node is loaded (the test build); not @ts-expect-error, which fails there.
import * as nodeHttp from 'node:http';

/** The parts of Node's `IncomingMessage` the listener reads (never its body). */
export interface LoopbackRequest {
  readonly method?: string | undefined;
  /** The request target exactly as sent, e.g. `/callback?state=...`. */
  readonly url?: string | undefined;
  /** Names and values as sent, alternating: repeated headers stay apart. */
  readonly rawHeaders: readonly string[];
}

/** The parts of Node's `ServerResponse` the listener writes. */
export interface LoopbackResponse {
  statusCode: number;
  readonly headersSent: boolean;
  setHeader(name: string, value: string | number): unknown;
  end(body?: string): unknown;
  once(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
}

/** The socket handed to a `clientError` listener (the parser refused what it received). */
export interface LoopbackSocket {
  readonly writable: boolean;
  readonly bytesWritten: number;
  end(data: string, callback: () => void): unknown;
  destroy(): unknown;
}

/** The parts of Node's `http.Server` the listener drives. */
export interface LoopbackServer {
  listen(port: number, host: string): unknown;
  address(): { port: number } | string | null;
  close(callback?: (error?: Error) => void): unknown;
  closeAllConnections(): void;
  once(event: 'listening' | 'close', listener: () => void): unknown;
  once(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'clientError', listener: (error: Error & { code?: string }, socket: LoopbackSocket) => void): unknown;
  on(event: 'checkContinue' | 'checkExpectation', listener: (request: LoopbackRequest, response: LoopbackResponse) => void): unknown;
  removeListener(event: 'error', listener: (error: Error & { code?: string }) => void): unknown;
}

/** Options of `http.createServer` the listener sets. */
export interface LoopbackServerOptions {
  maxHeaderSize: number;
  headersTimeout: number;
  requestTimeout: number;
}

interface NodeHttp {
  createServer(options: LoopbackServerOptions, listener: (request: LoopbackRequest, response: LoopbackResponse) => void): LoopbackServer;
}

// Where @types/node is loaded (tsconfig.test.json), this assignment checks the declarations above
// against Node's real ones.
const http: NodeHttp = nodeHttp;

/** `http.createServer`, through the structural types above. */
export function createServer(
  options: LoopbackServerOptions,
  listener: (request: LoopbackRequest, response: LoopbackResponse) => void,
): LoopbackServer {
  return http.createServer(options, listener);
}
