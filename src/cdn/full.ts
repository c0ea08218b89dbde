// The <script> build with every optional browser feature (dist/oidc-session-full.global.js): the main
// entry's exports and the features', on window.OidcSession. For pages that cannot import and want more
// than the default file; its budget is its own (bench/size.mjs).
import type * as Package from '../index.js';
import type * as Native from '../native/index.js';
import type * as Popup from '../popup/index.js';
import type * as Silent from '../silent/index.js';
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
import { capacitorSecureStorage, electronSecureStorage, extensionStorage, isCallbackUrl, secureStorageBridge, webAuthFlow } from '../native/index.js';
import { handlePopupCallback, loginWithPopup } from '../popup/index.js';
import { handleSilentCallback, signInSilently } from '../silent/index.js';
import { installGlobal } from '../platform/install-global.js';

// Listed, as in src/cdn/oidc-session.ts; the type keeps the list complete.
const exports: typeof Package & typeof Native & typeof Popup & typeof Silent = {
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
  capacitorSecureStorage,
  electronSecureStorage,
  extensionStorage,
  isCallbackUrl,
  secureStorageBridge,
  webAuthFlow,
  handlePopupCallback,
  loginWithPopup,
  handleSilentCallback,
  signInSilently,
};
installGlobal(exports);
