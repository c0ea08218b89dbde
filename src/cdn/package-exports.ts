// The main entry's exports as one object, for the script-tag builds (window.OidcSession).
import type * as Package from '../index.js';
import {
  AuthClient,
  AuthError,
  ConfigError,
  LoginRequiredError,
  NetworkError,
  OAuthError,
  ProtocolError,
  StorageError,
  indexedDbStorage,
  isAuthError,
  memoryStorage,
} from '../index.js';

// Listed rather than `import * as`: a bundled namespace object costs a getter per export. The type
// makes the list complete: an export added to src/index.ts and missing here fails to compile.
export const packageExports: typeof Package = { AuthClient, AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, StorageError, indexedDbStorage, isAuthError, memoryStorage };
