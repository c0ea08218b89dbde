// The <script> build of the main entry (dist/oidc-session.global.js): the package's exports on
// window.OidcSession, installed by installGlobal (a second copy on the page is refused).
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
import { installGlobal } from '../platform/install-global.js';

// Listed rather than `import * as`: a bundled namespace object costs a getter per export. The type
// makes the list complete: an export added to src/index.ts and missing here fails to compile.
const exports: typeof Package = { AuthClient, AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, StorageError, indexedDbStorage, isAuthError, memoryStorage };
installGlobal(exports);
