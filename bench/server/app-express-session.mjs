// The benchmark app for express-session, on plain node:http (express-session is Connect middleware
// and needs no Express router): the documented configuration (resave: false, saveUninitialized:
// false, HttpOnly SameSite=Lax cookie), its default MemoryStore or connect-redis's RedisStore.
// GET /login starts a session the documented way (regenerate, set the user, save); GET /api/me reads it.
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { config, redisClient, sendJson, serve } from './child.mjs';

const client = await redisClient();
const middleware = session({
  secret: config.secret,
  resave: false,
  saveUninitialized: false,
  // Same lifetime as the session server's default idle timeout (1 day).
  cookie: { httpOnly: true, sameSite: 'lax', maxAge: 86_400_000 },
  ...(client ? { store: new RedisStore({ client }) } : {}),
});

// The claims the session server keeps from the local provider's ID token, so both store the same user.
const user = (now) => ({
  sub: 'ada',
  name: 'Ada',
  preferred_username: 'ada',
  email: 'ada@example.com',
  email_verified: true,
  nonce: 'ZB2OrkbPgnHbQqlVZcyrsjzMMBl2ogQ5K8TObNdyI8o',
  aud: config.clientId,
  exp: now + 3600,
  iat: now,
  iss: config.issuer,
});

serve(
  (req, res) => {
    middleware(req, res, (error) => {
      if (error) return sendJson(res, 500, { error: 'server_error' });
      if (req.url === '/login') {
        return req.session.regenerate((err) => {
          if (err) return sendJson(res, 500, { error: 'server_error' });
          req.session.user = user(Math.floor(Date.now() / 1000));
          req.session.save((err2) => (err2 ? sendJson(res, 500, { error: 'server_error' }) : sendJson(res, 200, { sub: req.session.user.sub })));
        });
      }
      if (req.url === '/api/me') {
        return req.session.user ? sendJson(res, 200, { sub: req.session.user.sub }) : sendJson(res, 401, { error: 'login_required' });
      }
      sendJson(res, 404, { error: 'not_found' });
    });
  },
  async () => client?.close(),
);
