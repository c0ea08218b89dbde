// The <script> build of the main entry (dist/oidc-session.global.js): the package's exports on
// window.OidcSession, installed by installGlobal (a second copy on the page is refused).
import { installGlobal } from '../platform/install-global.js';
import { packageExports } from './package-exports.js';

installGlobal(packageExports);
