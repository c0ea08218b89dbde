import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppHandler } from '../../demo/app-server.mjs';
import { HostileProvider } from './provider.js';
import { HostileResourceServer } from './resource-server.js';

/**
 * One HTTPS server for the whole cast, told apart by host name (Chromium maps *.test to loopback):
 * the app at rp.test, the hostile provider at op.test, a second provider at op2.test (mix-up cases),
 * the attacker at evil.test, which logs every hit, and an API at rs.test. The certificate is made fresh for each run.
 */
export interface HostileWorld {
  port: number;
  app: string;
  op: HostileProvider;
  op2: HostileProvider;
  evil: { origin: string; hits: string[] };
  /** The API at rs.test, which accepts op.test's access tokens (the DPoP cases). */
  rs: HostileResourceServer;
  close(): Promise<void>;
}

const pagesDir = fileURLToPath(new URL('./pages/', import.meta.url));
export const CLIENT_ID = 'spa';

export async function startHostileWorld(): Promise<HostileWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-hostile-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rp.test',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-addext', 'subjectAltName=DNS:rp.test,DNS:op.test,DNS:op2.test,DNS:evil.test,DNS:rs.test',
  ], { stdio: 'ignore' });
  const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  rmSync(dir, { recursive: true, force: true });

  let world: HostileWorld | undefined;
  const server: Server = createServer(tls, (req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const host = (req.headers.host ?? '').split(':')[0];
      const w = world as HostileWorld;
      if (host === 'op.test') return void w.op.handle(req, res, body);
      if (host === 'op2.test') return void w.op2.handle(req, res, body);
      if (host === 'rs.test') return void w.rs.handle(req, res, body);
      if (host === 'evil.test') {
        w.evil.hits.push(`${req.method} ${req.url}`);
        const to = new URL(req.url ?? '/', w.evil.origin).searchParams.get('to');
        // A page that sends the victim's browser wherever the attack needs it (login CSRF, AR-03).
        const page = to ? `<script>location.replace(${JSON.stringify(to)})</script>` : '<p>evil</p>';
        return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      }
      if (host === 'rp.test') {
        // The SPA answers its callback and post-logout paths with the same page.
        if (/^\/(cb|bye)?(\?|$)/.test(req.url ?? '/')) req.url = `/app.html${(req.url ?? '').replace(/^\/(cb|bye)?/, '')}`;
        return appHandler(req, res);
      }
      res.writeHead(421).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const app = `https://rp.test:${port}`;
  const op = new HostileProvider(`https://op.test:${port}`, CLIENT_ID, app);
  const op2 = new HostileProvider(`https://op2.test:${port}`, CLIENT_ID, app);
  const appHandler = createAppHandler({
    pages: { '/': pagesDir },
    config: () => ({ issuer: op.issuer, issuer2: op2.issuer, clientId: CLIENT_ID, app }),
  });
  world = {
    port,
    app,
    op,
    op2,
    evil: { origin: `https://evil.test:${port}`, hits: [] },
    rs: new HostileResourceServer(`https://rs.test:${port}`, app, op),
    close: () => new Promise((resolve) => server.close(() => resolve()).closeAllConnections()),
  };
  return world;
}
