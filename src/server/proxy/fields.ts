// What the API proxy passes on between the browser and an upstream, whichever transport carries it
// (fetch in forward.ts, node:http in node-forward.ts): which header fields, and how an upstream's
// redirect and caching directives are rewritten for the browser.
import { CSRF_HEADER } from '../csrf.js';
import type { ResolvedApiRoute } from './api-routes.js';

/** Hop-by-hop fields (RFC 9110 §7.6.1) and fields a proxy must not pass on in either direction. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
/**
 * Request fields that are the browser's, not the API's: its cookies (the session, and every other
 * cookie of the app's origin), any credentials it tried to send, our CSRF proof, and the framing.
 * `forwarded` and `x-forwarded-*` are dropped because a client can write them.
 */
const DROPPED_REQUEST = new Set([
  ...HOP_BY_HOP, 'host', 'cookie', 'cookie2', 'authorization', 'dpop', CSRF_HEADER, 'expect', 'forwarded',
  // Fields some servers read as the real path or host (IIS, Symfony) or as the client's identity: a browser can write them.
  'x-original-url', 'x-rewrite-url', 'x-original-host', 'x-host', 'x-real-ip', 'true-client-ip', 'x-client-ip', 'client-ip', 'cf-connecting-ip', 'x-cluster-client-ip',
]);
/** Fields a CDN obeys before Cache-Control: an answer made with the user's token must not carry them. */
const SHARED_CACHE_FIELDS = /^(surrogate-control|surrogate-key|([\w-]+-)?cdn-cache-control)$/;
/** Answer fields the browser must not get from an upstream: cookies for the app's origin, and our DPoP state. */
const DROPPED_RESPONSE = new Set([...HOP_BY_HOP, 'set-cookie', 'set-cookie2', 'dpop-nonce']);

const NONE: ReadonlySet<string> = new Set();
/** What nearly every client and server sends, answered without parsing (hop-by-hop fields already). */
const KEEP_ALIVE: ReadonlySet<string> = new Set(['keep-alive']);
const CLOSE: ReadonlySet<string> = new Set(['close']);

/** Fields the `Connection` header names are hop-by-hop too (RFC 9110 §7.6.1). */
export function connectionFields(connection: string | null | undefined): ReadonlySet<string> {
  if (!connection) return NONE;
  if (connection === 'keep-alive') return KEEP_ALIVE;
  if (connection === 'close') return CLOSE;
  return new Set(connection.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean));
}

/** Whether a request field (lower-case name) goes to the upstream; `named` are those `Connection` lists. */
export function forwardsRequestField(name: string, named: ReadonlySet<string>): boolean {
  return !DROPPED_REQUEST.has(name) && !named.has(name) && !name.startsWith('x-forwarded') && !name.startsWith('proxy-');
}

/** Whether an answer field (lower-case name) goes to the browser; `withToken`: the answer was made with the user's token. */
export function forwardsResponseField(name: string, named: ReadonlySet<string>, withToken: boolean): boolean {
  return !DROPPED_RESPONSE.has(name) && !named.has(name) && !(withToken && SHARED_CACHE_FIELDS.test(name));
}

/** A redirect into the upstream's own path, as the app's path the browser knows; anywhere else untouched. */
export function appLocation(location: string, target: URL | string, route: ResolvedApiRoute): string {
  let url: URL;
  try {
    url = new URL(location, target);
  } catch {
    return location;
  }
  const base = route.upstreamPath;
  if (url.origin !== route.upstream.origin || !(url.pathname === (base || '/') || url.pathname.startsWith(`${base}/`))) return location;
  return `${route.path}${url.pathname.slice(base.length)}${url.search}${url.hash}`;
}

/** The upstream's caching directives kept for the browser only: `private` unless it said `no-store`; never `public` or `s-maxage`. */
export function privateCacheControl(value: string | null | undefined): string {
  if (!value) return 'no-store';
  const directives = value.split(',').map((part) => part.trim()).filter((part) => part && !/^(public|s-maxage\s*=.*|proxy-revalidate)$/i.test(part));
  if (directives.some((part) => /^(no-store|private)$/i.test(part))) return directives.join(', ');
  return ['private', ...directives].join(', ');
}

/** A status HTTP defines (RFC 9110 §15): anything else from an upstream means it is broken. */
export function isForwardableStatus(status: number): boolean {
  return status >= 200 && status <= 599;
}
