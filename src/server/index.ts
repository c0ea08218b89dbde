// oidc-session/server: the session server ("backend for frontend") for Node 20+ and any runtime with
// Web-standard Request and Response. Nothing here is part of the browser bundles.
export { createSessionServer } from './session-server.js';
export type { AccessToken, SessionServer, TokenOptions } from './session-server.js';
export type { DPoPServerOption, SessionServerOptions } from './options.js';
export type { ApiRoute } from './proxy/api-routes.js';
export type { EndReason, Session, SessionMatch } from './sessions.js';
export type { RequestLike } from './http-messages.js';
export { CSRF_HEADER } from './csrf.js';
export { nodeHandler, sessionMiddleware } from './node.js';
export type { NodeRequest, NodeResponse, SessionMiddlewareOptions } from './node.js';
export { memoryStore } from './stores/memory.js';
export type { MemoryStoreOptions } from './stores/memory.js';
export { redisStore } from './stores/redis.js';
export type { RedisClient, RedisStoreOptions } from './stores/redis.js';
export { cookieStore } from './stores/cookie.js';
export type { CookieStore, SessionStore } from './stores/store.js';
export { SessionStoreError } from './errors.js';
export { AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, isAuthError } from '../errors/errors.js';
export type { AuthErrorCode } from '../errors/errors.js';
export type { User } from '../session/token-set.js';
