export { AuthClient } from './client.js';
export { indexedDbStorage } from './platform/indexeddb.js';
export { memoryStorage } from './platform/storage.js';
export type { AuthEvents, AuthState, StateListener } from './state-hub.js';
export type {
  GetAccessTokenOptions,
  LoginOptions,
  LoginResult,
  LogoutOptions,
} from './client.js';
export type { AuthClientOptions } from './options.js';
export type { StorageAdapter } from './platform/storage.js';
export type { User } from './token-set.js';
export {
  AuthError,
  ConfigError,
  LoginRequiredError,
  NetworkError,
  OAuthError,
  ProtocolError,
  StorageError,
  isAuthError,
} from './errors.js';
export type { AuthErrorCode } from './errors.js';
