// The session server's API proxy under load: `apis` maps /api/orders to the upstream, nodeHandler on
// plain node:http serves it with the /auth/* routes (a real login against the local provider).
// memoryStore(): the store's own cost is the session-lookup section's subject; this one is the
// forwarding. GET /api/me is there only for login.mjs, which checks the session with it.
import { config, sendJson, serve } from './child.mjs';

// The driver's snapshot of dist/server.js (see snapshot.mjs).
const { createSessionServer, memoryStore, nodeHandler, sessionMiddleware } = await import(config.serverEntry);

const server = createSessionServer({
  issuer: config.issuer,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  appUrl: config.appOrigin,
  secret: config.secret,
  scope: 'openid profile email offline_access',
  store: memoryStore(),
  apis: [{ path: '/api/orders', upstream: config.upstream }],
});
const handler = nodeHandler(server);
const me = sessionMiddleware(server, { required: true });

serve((req, res) => {
  if (req.url === '/api/me') return me(req, res, () => sendJson(res, 200, { sub: req.oidcSession.user.sub }));
  handler(req, res);
});
