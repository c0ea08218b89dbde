// Which transport the API proxy suites drive. nodeHandler forwards on node:http by default
// (src/server/proxy/node-forward.ts); given the app's own `fetch`, it takes the Web-standard path
// (fetch and Web streams, src/server/proxy/forward.ts) that server.handle always takes. Each suite
// runs once per transport: its `.fetch.test.ts` twin imports ./use-fetch-transport.js first.

export type ProxyTransport = 'node:http' | 'fetch';

const holder = globalThis as { oidcSessionProxyTransport?: ProxyTransport };

export function proxyTransport(): ProxyTransport {
  return holder.oidcSessionProxyTransport ?? 'node:http';
}

export function useProxyTransport(transport: ProxyTransport): void {
  holder.oidcSessionProxyTransport = transport;
}

/** Session-server options that select the transport: an app `fetch` (the real one) for the Web-standard path. */
export function transportOptions(): { fetch?: typeof fetch } {
  return proxyTransport() === 'fetch' ? { fetch: (input, init) => fetch(input, init) } : {};
}
