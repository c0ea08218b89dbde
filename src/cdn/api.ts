// The <script> build for apps that call their APIs with the session's tokens
// (dist/oidc-session-api.global.js): the main entry's exports with DPoP (`dpop`), API calls that carry
// the token (`authFetch`) and pushed authorization requests (`par`), on window.OidcSession. Its own
// budget (bench/size.mjs): these features roughly double what a proof-carrying client needs.
import type * as DPoP from '../dpop/index.js';
import type * as Fetch from '../fetch/index.js';
import type * as Par from '../par/index.js';
import { dpop } from '../dpop/index.js';
import { authFetch } from '../fetch/index.js';
import { par } from '../par/index.js';
import { installGlobal } from '../platform/install-global.js';
import { packageExports } from './package-exports.js';

// Listed, as in package-exports.ts; the types keep each list complete.
const features: typeof DPoP & typeof Fetch & typeof Par = { dpop, authFetch, par };
installGlobal({ ...packageExports, ...features });
