// The benchmark app for oidc-session's session server, on plain node:http: the session server's
// /auth/* routes (a real login against the local provider) and GET /api/me, which reads the session
// through sessionMiddleware as an app's API route would.
import { config, redisClient, sendJson, serve } from './child.mjs';

// The driver's snapshot of dist/server.js (see snapshot.mjs).
const { createSessionServer, memoryStore, nodeHandler, redisStore, sessionMiddleware } = await import(config.serverEntry);

const client = await redisClient();
const server = createSessionServer({
  issuer: config.issuer,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  appUrl: config.appOrigin,
  secret: config.secret,
  scope: 'openid profile email offline_access',
  store: client ? redisStore({ client }) : memoryStore(),
});
const auth = nodeHandler(server);
const me = sessionMiddleware(server, { required: true });

serve(
  (req, res) => {
    if (req.url === '/api/me') return me(req, res, () => sendJson(res, 200, { sub: req.oidcSession.user.sub }));
    auth(req, res);
  },
  async () => client?.close(),
);
