// The <script> build with every optional browser feature (dist/oidc-session-full.global.js): the main
// entry's exports and the features', on window.OidcSession. For pages that cannot import and want more
// than the default file; its budget is its own (bench/size.mjs).
import type * as Native from '../native/index.js';
import type * as Popup from '../popup/index.js';
import type * as Silent from '../silent/index.js';
import { capacitorSecureStorage, electronSecureStorage, extensionStorage, isCallbackUrl, secureStorageBridge, webAuthFlow } from '../native/index.js';
import { handlePopupCallback, loginWithPopup } from '../popup/index.js';
import { handleSilentCallback, signInSilently } from '../silent/index.js';
import { installGlobal } from '../platform/install-global.js';
import { packageExports } from './package-exports.js';

// Listed, as in package-exports.ts; the types keep each list complete.
const features: typeof Native & typeof Popup & typeof Silent = {
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
installGlobal({ ...packageExports, ...features });
