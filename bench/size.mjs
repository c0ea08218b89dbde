// Bytes a user downloads, checked against the budget: the CDN builds, and a minimal ESM import (login,
// callback, getAccessToken, logout) bundled the way an app's bundler would. `npm run size` prints them
// and fails when one is over its brotli budget, or when the minimal import is not smaller than the CDN
// file that carries everything.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { minify } from 'terser';
import { build as viteBuild } from 'vite';

/**
 * Brotli budgets in bytes: 12 KiB for the full client, 3 KiB for the session-server-mode build, and
 * for each framework binding what it adds to an app that already has the framework and the client.
 */
export const BUDGETS = {
  cdn: 12 * 1024,
  esmMinimalImport: 12 * 1024,
  serverModeCdn: 3 * 1024,
  react: 1.5 * 1024,
  vue: 2 * 1024,
  svelte: 1.5 * 1024,
  angular: 2 * 1024,
  // Optional sign-in features: what each adds to an app that already has the client.
  native: 1 * 1024,
  popup: 1 * 1024,
  silent: 1 * 1024,
  // Sender-constrained tokens, and API calls that carry the session's token.
  dpop: 3 * 1024,
  fetch: 1 * 1024,
  par: 1 * 1024,
  // The user's claims from the UserInfo endpoint (with the authFetch it sends them through).
  userinfo: 1 * 1024,
  // The script-tag build with every optional browser feature inside.
  fullCdn: 15 * 1024,
  // The script-tag build with DPoP, authFetch and PAR (src/cdn/api.ts).
  apiCdn: 17 * 1024,
};

/**
 * The optional browser features, each as an app uses it next to the client: the measure is what the
 * app grows by over the minimal import.
 */
const FEATURES = {
  native: `import { isCallbackUrl, capacitorSecureStorage, electronSecureStorage, extensionStorage } from './dist/native.js';
globalThis.native = { isCallbackUrl, capacitorSecureStorage, electronSecureStorage, extensionStorage };`,
  popup: `import { loginWithPopup, handlePopupCallback } from './dist/popup.js';
globalThis.popup = { login: () => loginWithPopup(auth), callback: handlePopupCallback };`,
  silent: `import { signInSilently, handleSilentCallback } from './dist/silent.js';
globalThis.silent = { check: () => signInSilently(auth), callback: handleSilentCallback };`,
  dpop: `import { dpop } from './dist/dpop.js';
globalThis.dpop = dpop;`,
  fetch: `import { authFetch } from './dist/fetch.js';
globalThis.api = authFetch(auth);`,
  par: `import { par } from './dist/par.js';
globalThis.par = par;`,
  userinfo: `import { fetchUserInfo } from './dist/userinfo.js';
globalThis.userInfo = () => fetchUserInfo(auth);`,
};

/** The bindings, and the packages an app has anyway (left out of their measure). */
const BINDINGS = {
  react: ['react', 'react-dom'],
  vue: ['vue', 'vue-router'],
  svelte: ['svelte'],
  angular: ['@angular/core', '@angular/router', '@angular/common', 'rxjs'],
};
export const CDN_BUDGET_BYTES = BUDGETS.cdn;

const root = fileURLToPath(new URL('..', import.meta.url));
const MINIMAL_APP = `import { AuthClient } from './dist/index.js';
const auth = new AuthClient(globalThis.options);
globalThis.app = { login: () => auth.login(), callback: () => auth.handleCallback(), token: () => auth.getAccessToken(), logout: () => auth.logout() };`;
/** Everything the package exports, as the CDN file carries it. */
const WHOLE_PACKAGE_APP = `import * as sdk from './dist/index.js';
globalThis.OidcSession = sdk;`;

/** min, gzip and brotli sizes of a buffer. */
function sizes(buffer) {
  return {
    min: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/**
 * An app's production build with Vite's defaults (Rolldown, then Oxc's minifier): what most
 * single-page apps ship. Reported beside the budgeted numbers, not budgeted: its minifier is the app's
 * choice, and it packs looser than the terser settings of the CDN build.
 */
async function viteAppSize(source) {
  const dir = await mkdtemp(join(tmpdir(), 'oidc-session-size-'));
  try {
    await writeFile(join(dir, 'main.js'), source.replaceAll('./dist/index.js', `${root}dist/index.js`));
    const result = await viteBuild({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      build: { write: false, rollupOptions: { input: join(dir, 'main.js'), preserveEntrySignatures: false } },
    });
    const chunks = (Array.isArray(result) ? result[0] : result).output.filter((o) => o.type === 'chunk');
    return sizes(Buffer.from(chunks.map((chunk) => chunk.code).join('')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Measures the built files in dist/. */
export async function measureSizes() {
  const cdn = sizes(await readFile(`${root}/dist/oidc-session.global.js`));
  const serverModeCdn = sizes(await readFile(`${root}/dist/oidc-session-server-mode.global.js`));
  const bundle = async (minifyWithEsbuild) =>
    (await build({ stdin: { contents: MINIMAL_APP, resolveDir: root }, bundle: true, minify: minifyWithEsbuild, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' }))
      .outputFiles[0].text;
  // Bundlers minify with terser (webpack, Rollup plugins) or esbuild (Vite): both are reported; the
  // budget applies to terser, the same minifier as the CDN build.
  const terser = await minify(await bundle(false), { module: true, ecma: 2020, compress: { passes: 3, ecma: 2020, hoist_funs: true }, mangle: true });
  const terserApp = async (source) =>
    (await minify((await build({ stdin: { contents: source, resolveDir: root }, bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' })).outputFiles[0].text, { module: true, ecma: 2020, compress: { passes: 3, ecma: 2020, hoist_funs: true }, mangle: true })).code ?? '';
  const features = {};
  for (const [name, use] of Object.entries(FEATURES)) {
    const withFeature = sizes(Buffer.from(await terserApp(`${MINIMAL_APP}\n${use}`)));
    features[name] = { ...withFeature, brotli: withFeature.brotli - sizes(Buffer.from(terser.code ?? '')).brotli, min: withFeature.min - (terser.code ?? '').length, gzip: withFeature.gzip - sizes(Buffer.from(terser.code ?? '')).gzip };
  }
  const bindings = {};
  for (const [name, external] of Object.entries(BINDINGS)) {
    // The binding's own code, as an app's bundler with terser would ship it: the framework and the
    // client (`oidc-session`) are external, because the app pays for them anyway.
    const code = (await build({ entryPoints: [`${root}dist/${name}.js`], bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent', external: [...external, 'oidc-session'] })).outputFiles[0].text;
    bindings[name] = sizes(Buffer.from((await minify(code, { module: true, ecma: 2020, compress: { passes: 3, ecma: 2020 }, mangle: true })).code ?? ''));
  }
  return {
    cdn,
    fullCdn: sizes(await readFile(`${root}/dist/oidc-session-full.global.js`)),
    apiCdn: sizes(await readFile(`${root}/dist/oidc-session-api.global.js`)),
    serverModeCdn,
    bindings,
    features,
    esmMinimalImport: sizes(Buffer.from(terser.code ?? '')),
    esmMinimalImportEsbuild: sizes(Buffer.from(await bundle(true))),
    viteMinimalImport: await viteAppSize(MINIMAL_APP),
    viteWholePackage: await viteAppSize(WHOLE_PACKAGE_APP),
    budgets: BUDGETS,
    cdnBudgetBrotli: BUDGETS.cdn,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureSizes();
  const row = (label, s) => `${label.padEnd(40)} ${String(s.min).padStart(7)} B min  ${String(s.gzip).padStart(6)} B gzip  ${String(s.brotli).padStart(6)} B brotli`;
  console.log(row('CDN build (IIFE, terser)', result.cdn));
  console.log(row('session-server-mode CDN build', result.serverModeCdn));
  console.log(row('minimal ESM import, bundled + terser', result.esmMinimalImport));
  console.log(row('minimal ESM import, bundled + esbuild', result.esmMinimalImportEsbuild));
  console.log(row('minimal ESM import, Vite 8 app build', result.viteMinimalImport));
  console.log(row('whole package, Vite 8 app build', result.viteWholePackage));
  for (const [name, measured] of Object.entries(result.bindings)) console.log(row(`oidc-session/${name} (framework excluded)`, measured));
  console.log(row('full CDN build (every optional feature)', result.fullCdn));
  console.log(row('API CDN build (DPoP, authFetch, PAR)', result.apiCdn));
  for (const [name, measured] of Object.entries(result.features)) console.log(row(`oidc-session/${name} (added to the client)`, measured));
  let over = false;
  for (const [name, measured, budget] of [
    ['CDN build', result.cdn, BUDGETS.cdn],
    ['minimal ESM import', result.esmMinimalImport, BUDGETS.esmMinimalImport],
    ['session-server-mode CDN build', result.serverModeCdn, BUDGETS.serverModeCdn],
    ...Object.keys(BINDINGS).map((name) => [`oidc-session/${name}`, result.bindings[name], BUDGETS[name]]),
    ['full CDN build', result.fullCdn, BUDGETS.fullCdn],
    ['API CDN build', result.apiCdn, BUDGETS.apiCdn],
    ...Object.keys(FEATURES).map((name) => [`oidc-session/${name} (added)`, result.features[name], BUDGETS[name]]),
  ]) {
    const left = budget - measured.brotli;
    console.log(`${name}: budget ${budget} B brotli, ${left >= 0 ? `${left} B left` : `${-left} B OVER`}`);
    over ||= left < 0;
  }
  // The minimal import leaves out what only some apps use (the optional storage adapters); the CDN
  // file, for pages that cannot import, carries all of it. Compared with the same minifier.
  const gap = result.cdn.brotli - result.esmMinimalImport.brotli;
  console.log(`minimal ESM import vs CDN build: ${gap > 0 ? `${gap} B smaller` : `${-gap} B LARGER`}`);
  if (over || gap <= 0) process.exit(1);
}
