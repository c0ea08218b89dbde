// The static server for the demo app (and the end-to-end test pages): serves the built package from
// dist/, the two runtime dependencies for the import map, and HTML pages with the provider settings
// written into them, so the pages need no extra request to learn where the provider is.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { join, resolve, sep } from 'node:path';
import sirv from 'sirv';

const root = fileURLToPath(new URL('..', import.meta.url));
const CONFIG_MARKER = '<!-- oidc-config -->';

/**
 * @typedef {object} AppServerOptions
 * @property {number} [port] 0 picks a free port.
 * @property {string} [host] `localhost` (default), or `127.0.0.1` to put the app on another site than the provider.
 * @property {Record<string, string>} pages URL prefix (e.g. `/demo/`) to a folder of HTML pages and assets.
 * @property {() => object} config The settings written into every page as `window.OIDC_CONFIG`.
 * @property {() => Array<(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void>} [middleware]
 *   Connect-style handlers tried before the static files (the session server's routes and the demo API).
 * @property {string[]} [spaFallback] Page prefixes (keys of `pages`) served like a single-page app with a
 *   client-side router: a path under the prefix that names no file and has no file extension (a deep link
 *   such as `/react/protected`) gets the prefix's `index.html`, config injected. Other prefixes answer 404.
 */

/**
 * The request handler behind the app server: the built package, the import-map targets, and the page
 * folders. Exported so that other servers (the hostile provider's HTTPS host) can mount it.
 * @param {Omit<AppServerOptions, 'port'>} options
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void}
 */
export function createAppHandler(options) {
  const statics = {
    '/dist/': sirv(join(root, 'dist'), { dev: true }),
    '/vendor/': vendor,
    ...Object.fromEntries(
      Object.entries(options.pages).map(([prefix, dir]) => [prefix, pages(dir, options.config, options.spaFallback?.includes(prefix) ?? false)]),
    ),
  };
  const prefixes = Object.keys(statics).sort((a, b) => b.length - a.length);
  return (req, res) => {
    // Only origin-form targets that parse as a path: Node's parser also passes `http://x:99999/`,
    // `//a:b@x:70000/` or `*`, on which `new URL` below would throw out of the listener.
    if (!req.url?.startsWith('/') || !URL.canParse(req.url, 'http://x')) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request target');
      return;
    }
    const chain = [...(options.middleware?.() ?? [])];
    const next = () => {
      const handler = chain.shift();
      if (handler) handler(req, res, next);
      else serveStatic(req, res);
    };
    next();
  };

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  function serveStatic(req, res) {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' && !options.pages['/']) {
      res.writeHead(302, { location: Object.keys(options.pages)[0] ?? '/dist/' }).end();
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    if (!prefix) return notFound(res);
    req.url = req.url?.slice(prefix.length - 1);
    // The async handlers must not leave a rejection unhandled (a file that vanished, a closed socket).
    Promise.resolve(statics[prefix](req, res, () => notFound(res))).catch(() => res.headersSent || notFound(res));
  }
}

/** Starts the app server on localhost. @param {AppServerOptions} options */
export async function startAppServer(options) {
  const server = createServer(createAppHandler(options));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? 'localhost', () => resolve(undefined));
  });
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    origin: `http://${options.host ?? 'localhost'}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined)).closeAllConnections()),
  };
}

/** Bare-specifier targets for the ESM build's import map. */
const VENDOR = {
  '/oauth4webapi.js': join(root, 'node_modules/oauth4webapi/build/index.js'),
  '/idb-keyval.js': join(root, 'node_modules/idb-keyval/dist/index.js'),
};

async function vendor(req, res, next) {
  const file = VENDOR[new URL(req.url ?? '/', 'http://x').pathname];
  if (!file) return next();
  res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(await readFile(file));
}

/**
 * Serves a folder; HTML pages get the config script injected at the marker. With `spaFallback`, a path
 * that names no file and has no extension in its last segment is answered with the folder's index.html.
 */
function pages(dir, config, spaFallback) {
  const assets = sirv(dir, { dev: true });
  return async (req, res, next) => {
    let path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.endsWith('/')) path += 'index.html';
    if (!path.endsWith('.html')) {
      const deepLink = spaFallback && !/\.[^/]*$/.test(path);
      return assets(req, res, deepLink ? () => serveHtml('/index.html', res, next) : next);
    }
    return serveHtml(path, res, next);
  };

  /** @param {string} path @param {import('node:http').ServerResponse} res @param {() => void} next */
  async function serveHtml(path, res, next) {
    const file = resolve(join(dir, path));
    if (!file.startsWith(resolve(dir) + sep)) return next();
    let html;
    try {
      html = await readFile(file, 'utf8');
    } catch {
      return next();
    }
    // `<` escaped so no value can close the script element.
    const json = JSON.stringify(config()).replace(/</g, '\\u003c');
    html = html.replace(CONFIG_MARKER, `<script>window.OIDC_CONFIG = ${json};</script>`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(html);
  }
}

function notFound(res) {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}
