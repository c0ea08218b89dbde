// Small helpers for the Web-standard responses the routes send and the requests they read.

/** Anything with request headers: a Web `Request`, or Node's `IncomingMessage` (headers as an object). */
export interface RequestLike {
  readonly headers: { get(name: string): string | null } | Readonly<Record<string, string | string[] | undefined>>;
}

/** The value of a request header, whatever the request type. */
export function header(request: RequestLike, name: string): string | undefined {
  const headers = request.headers as { get?: unknown } & Record<string, unknown>;
  if (typeof headers.get === 'function') return (headers.get as (n: string) => string | null).call(headers, name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value.join('; ') : typeof value === 'string' ? value : undefined;
}

/** A JSON response that no cache keeps. */
export function json(status: number, body: unknown, cookies: readonly string[] = []): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(JSON.stringify(body), { status, headers });
}

/** A 303 redirect that no cache keeps (303: the browser follows it with a GET). */
export function redirect(location: string, cookies: readonly string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}
