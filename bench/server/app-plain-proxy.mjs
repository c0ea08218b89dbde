// The yardstick for the session server's API proxy: a reverse proxy as one writes it by hand on
// node:http, doing the same forwarding minus the session (/api/orders/* → <upstream>/*, the browser's
// cookies and hop-by-hop fields dropped, a fixed Bearer token set, the answer streamed back). Two
// transports to the upstream, both keeping connections alive: `config.via` 'http' (http.request
// with a keep-alive Agent, bodies piped both ways; the usual choice and the reference) or 'fetch'
// (Node's undici fetch, which the session server uses, so the two rows tell its cost from ours).
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { config, sendJson, serve } from './child.mjs';

const PREFIX = '/api/orders';
const upstream = new URL(config.upstream);
const base = upstream.pathname.replace(/\/+$/, '');
// As long as an opaque access token from the local provider, so both proxies send alike.
const AUTHORIZATION = 'Bearer plain-proxy-token-0123456789abcdefghijklmnop';
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
// fetch frames the body itself, and decodes the answer's, so their length and encoding no longer hold.
const DROPPED_REQUEST = new Set([...HOP_BY_HOP, 'host', 'cookie', 'authorization', ...(config.via === 'fetch' ? ['content-length'] : [])]);
const DROPPED_RESPONSE = new Set([...HOP_BY_HOP, 'set-cookie', ...(config.via === 'fetch' ? ['content-length', 'content-encoding'] : [])]);

const pick = (headers, dropped) => Object.fromEntries(Object.entries(headers).filter(([name]) => !dropped.has(name)));
const agent = new Agent({ keepAlive: true });

function viaHttp(req, res, path) {
  const headers = { ...pick(req.headers, DROPPED_REQUEST), authorization: AUTHORIZATION };
  const out = request({ agent, host: upstream.hostname, port: upstream.port, method: req.method, path, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, pick(answer.headers, DROPPED_RESPONSE));
    answer.pipe(res);
  });
  out.on('error', () => (res.headersSent ? res.destroy() : sendJson(res, 502, { error: 'upstream_unavailable' })));
  req.pipe(out);
}

async function viaFetch(req, res, path) {
  const headers = { ...pick(req.headers, DROPPED_REQUEST), authorization: AUTHORIZATION };
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  try {
    const answer = await fetch(`${upstream.origin}${path}`, { method: req.method, headers, redirect: 'manual', ...(hasBody ? { body: Readable.toWeb(req), duplex: 'half' } : {}) });
    res.writeHead(answer.status, pick(Object.fromEntries(answer.headers), DROPPED_RESPONSE));
    if (!answer.body) return void res.end();
    // .pipe(), not stream.pipeline(): that one makes an AbortError (a DOMException) per request.
    Readable.fromWeb(answer.body).on('error', () => res.destroy()).pipe(res);
  } catch {
    if (res.headersSent) res.destroy();
    else sendJson(res, 502, { error: 'upstream_unavailable' });
  }
}

serve((req, res) => {
  const url = req.url ?? '/';
  if (!url.startsWith(`${PREFIX}/`)) return sendJson(res, 404, { error: 'not_found' });
  const path = `${base}${url.slice(PREFIX.length)}`;
  if (config.via === 'fetch') void viaFetch(req, res, path);
  else viaHttp(req, res, path);
});
