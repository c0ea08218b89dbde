import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

// The outputs, from one source:
// - ESM for bundlers keeps its dependencies external so apps deduplicate them;
// - CJS bundles oauth4webapi because that package is ESM-only;
// - the IIFEs for <script> tags bundle everything and expose window.OidcSession;
// - session-server mode (browser) and `oidc-session/server` (Node and other server runtimes) are
//   separate entries, so no app carries the other side's code.
// No `clean` here: the configurations build in parallel, and one cleaning would delete another's
// output; `npm run build` empties dist/ first.
const FEATURE_ENTRIES = {
  index: 'src/index.ts',
  native: 'src/native/index.ts',
  popup: 'src/popup/index.ts',
  silent: 'src/silent/index.ts',
  dpop: 'src/dpop/index.ts',
  fetch: 'src/fetch/index.ts',
  par: 'src/par/index.ts',
  userinfo: 'src/userinfo/index.ts',
};
// Members whose names end in `_` are internal to the package (src/tabs/tab-sync.ts): each build
// renames them consistently across its entries and chunks, as it does local variables. Nothing
// stored or sent between tabs is named so (stored names must survive a new build).
const renameInternalMembers: Options['esbuildOptions'] = (options) => {
  options.mangleProps = /[^_]_$/;
};

export default defineConfig([
  {
    // The client and its optional sign-in features (native, desktop and extension apps; popup login;
    // silent sign-in): each feature its own entry, so an app that does not import it never carries it,
    // and what they share (the error classes) one chunk, so `instanceof AuthError` holds across them.
    entry: FEATURE_ENTRIES,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    // Rollup's tree-shaking leaves less for an app's bundler to carry than esbuild's.
    treeshake: true,
    esbuildOptions: renameInternalMembers,
    // Syntax only (names stay readable): the app's minifier then packs it ~30 bytes (brotli) tighter.
    minifySyntax: true,
  },
  {
    entry: FEATURE_ENTRIES,
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    noExternal: ['oauth4webapi', 'idb-keyval'],
    esbuildOptions: renameInternalMembers,
  },
  {
    // The browser client in session-server mode, on its own so that neither mode's users carry the other.
    entry: { 'server-mode': 'src/server-mode.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
  },
  {
    // The session server: its own build for Node and server runtimes, never part of the browser bundles.
    entry: { server: 'src/server/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
  },
  {
    entry: { server: 'src/server/index.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
    noExternal: ['oauth4webapi'],
  },
  {
    // Framework bindings: each its own entry, the framework a peer dependency left external, so no
    // core bundle and no app that skips them carries them.
    entry: { react: 'src/bindings/react.ts', vue: 'src/bindings/vue.ts', svelte: 'src/bindings/svelte.ts', angular: 'src/bindings/angular.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
  },
  {
    // Node only: the loopback listener for desktop and CLI apps, and Electron's main-process store.
    entry: { loopback: 'src/native/loopback.ts', 'electron-main': 'src/native/electron-main.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'node',
  },
  // Both modes for <script> tags, exposing window.OidcSession.AuthClient with everything inside. The
  // entries install it themselves (src/platform/install-global.ts): the first copy on a page stays,
  // a second one is refused with a console error instead of silently replacing it.
  cdnBuild('oidc-session', 'src/cdn/oidc-session.ts'),
  cdnBuild('oidc-session-server-mode', 'src/cdn/server-mode.ts'),
  // Every optional browser feature too, for script-tag pages that want them (its own budget).
  cdnBuild('oidc-session-full', 'src/cdn/full.ts'),
  // DPoP, authFetch and PAR for script-tag pages that call APIs (their own budget).
  cdnBuild('oidc-session-api', 'src/cdn/api.ts'),
]);

/** A minified IIFE for CDNs: `dist/<name>.global.js`, dependencies bundled in. */
function cdnBuild(name: string, entry: string): Options {
  return {
    entry: { [name]: entry },
    format: ['iife'],
    // terser packs this build ~400 bytes (brotli) tighter than esbuild's minifier. Without
    // `sequences`, `if_return`, `conditionals` and `lhs_constants`, and with `inline: 1`, the output
    // is a little longer and brotli packs it ~100 bytes tighter (measured with bench/size.mjs; brotli
    // reacts chaotically, so measure again after changing any of them). Turning a compress step off or
    // on never changes what the code does.
    minify: 'terser',
    // esbuild's syntax pass first leaves terser an input it packs ~25 bytes (brotli) tighter.
    minifySyntax: true,
    // oauth4webapi computes a User-Agent header at load (`navigator.userAgent?.startsWith?.(...)`),
    // for request helpers the SDK never calls: marked pure, the unused result is dropped (~17 bytes).
    pure: ['navigator.userAgent.startsWith'],
    terserOptions: {
      // `pure_funcs`: oauth4webapi keeps each token response's JWT (`jwtRefs`) for
      // validateApplicationLevelSignature, which the SDK never calls: the write nothing reads is
      // dropped (~10 bytes). Calling that function would mean removing this.
      compress: { passes: 3, ecma: 2020, sequences: false, if_return: false, conditionals: false, negate_iife: true, inline: 1, lhs_constants: false, pure_funcs: ['jwtRefs.set'] },
      mangle: true,
      ecma: 2020,
    },
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    treeshake: true,
    noExternal: ['oauth4webapi', 'idb-keyval'],
    esbuildOptions: renameInternalMembers,
    outExtension: () => ({ js: '.global.js' }),
    // No bundler stands between a CDN file and the page: the build mode is known, and folds away.
    esbuildPlugins: [
      {
        name: 'cdn-build-mode',
        setup(build) {
          build.onResolve({ filter: /\/build-mode\.js$/ }, (args) => ({ path: join(args.resolveDir, args.path.replace(/\.js$/, '.cdn.ts')) }));
        },
      },
    ],
  };
}
