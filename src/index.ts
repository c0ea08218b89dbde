export { AuthClient } from './client/client.js';
export { indexedDbStorage } from './platform/indexeddb.js';
export { memoryStorage } from './platform/storage.js';
export type { AuthEvents, AuthState, StateListener } from './client/state-hub.js';
export type {
  GetAccessTokenOptions,
  LoginOptions,
  LoginResult,
  LogoutOptions,
} from './client/client.js';
export type { AuthClientOptions } from './client/options.js';
export type { StorageAdapter } from './platform/storage.js';
export type { User } from './session/token-set.js';
export {
  AuthError,
  ConfigError,
  LoginRequiredError,
  NetworkError,
  OAuthError,
  ProtocolError,
  StorageError,
  isAuthError,
} from './errors/errors.js';
export type { AuthErrorCode } from './errors/errors.js';
