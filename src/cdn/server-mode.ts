// The <script> build of session-server mode (dist/oidc-session-server-mode.global.js): its exports on
// window.OidcSession, installed by installGlobal (a second copy on the page is refused).
import type * as ServerMode from '../server-mode.js';
import { AuthClient, AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, isAuthError } from '../server-mode.js';
import { installGlobal } from '../platform/install-global.js';

// Listed rather than `import * as` (see src/cdn/oidc-session.ts); the type keeps the list complete.
const exports: typeof ServerMode = { AuthClient, AuthError, ConfigError, LoginRequiredError, NetworkError, OAuthError, ProtocolError, isAuthError };
installGlobal(exports);
