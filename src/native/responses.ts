import type { LoopbackResponse, LoopbackSocket } from './node-http.js';
import type { SuccessPage } from './listen-options.js';

/** The page the browser shows once the login response arrived, unless the app gives its own. */
export const DEFAULT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Return to the app</title></head>
<body><p>You can close this window and return to the app.</p></body>
</html>
`;

// No script, frame, form or subresource from anywhere; inline styles and data: images so an app's
// own page can look like the app. The page's URL holds the authorization code: nothing may carry it away.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const REFUSAL_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Answers the accepted login response with the app's page, a redirect, or {@link DEFAULT_PAGE}. */
export function sendSuccess(response: LoopbackResponse, page: SuccessPage | undefined): void {
  if (page && 'redirectTo' in page) {
    // 303: the browser follows with a GET, whatever brought it here.
    return send(response, 303, 'text/plain; charset=utf-8', 'Login response received.\n', PAGE_CSP, { location: page.redirectTo });
  }
  send(response, 200, 'text/html; charset=utf-8', page?.html ?? DEFAULT_PAGE, PAGE_CSP);
}

/** Answers a request that is not the login response; `405` says which method is. */
export function sendRefusal(response: LoopbackResponse, status: number, message: string): void {
  send(response, status, 'text/plain; charset=utf-8', `${message}\n`, REFUSAL_CSP, status === 405 ? { allow: 'GET' } : {});
}

/**
 * Answers bytes Node's parser refused (oversized headers, a malformed request line) before any
 * listener saw them, and drops the connection.
 */
export function answerParserError(error: Error & { code?: string }, socket: LoopbackSocket): void {
  // Nothing to answer on a connection that is gone or already carried an answer.
  if (!socket.writable || socket.bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

function send(
  response: LoopbackResponse,
  status: number,
  type: string,
  body: string,
  csp: string,
  extra: Readonly<Record<string, string>> = {},
): void {
  response.statusCode = status;
  response.setHeader('content-type', type);
  response.setHeader('content-length', byteLength(body));
  response.setHeader('cache-control', 'no-store');
  response.setHeader('content-security-policy', csp);
  response.setHeader('x-content-type-options', 'nosniff');
  // A link on the app's page must not hand the code-bearing URL to another site.
  response.setHeader('referrer-policy', 'no-referrer');
  // One request per connection: nothing lingers once the listener closes.
  response.setHeader('connection', 'close');
  for (const [name, value] of Object.entries(extra)) response.setHeader(name, value);
  response.end(body);
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
