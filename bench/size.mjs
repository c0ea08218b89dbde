// Bytes a user downloads: the CDN build and a minimal ESM import bundled the way an app's bundler
// would (dependencies included, minified). `node bench/size.mjs` prints them and fails when the CDN
// build is over its brotli budget.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The CDN build's budget, brotli-compressed: 12 KiB. */
export const CDN_BUDGET_BYTES = 12 * 1024;

const root = fileURLToPath(new URL('..', import.meta.url));

/** min, gzip and brotli sizes of a buffer. */
function sizes(buffer) {
  return {
    min: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** Measures the built files in dist/. */
export async function measureSizes() {
  const cdn = sizes(await readFile(`${root}/dist/oidc-session.global.js`));
  const bundled = await build({
    stdin: {
      contents: "import { AuthClient } from './dist/index.js'; globalThis.client = new AuthClient(globalThis.options);",
      resolveDir: root,
    },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const esm = sizes(Buffer.from(bundled.outputFiles[0].contents));
  return { cdn, esmMinimalImport: esm, cdnBudgetBrotli: CDN_BUDGET_BYTES };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureSizes();
  const row = (label, s) => `${label.padEnd(28)} ${String(s.min).padStart(7)} B min  ${String(s.gzip).padStart(6)} B gzip  ${String(s.brotli).padStart(6)} B brotli`;
  console.log(row('CDN build (IIFE)', result.cdn));
  console.log(row('ESM, minimal import, bundled', result.esmMinimalImport));
  const left = CDN_BUDGET_BYTES - result.cdn.brotli;
  console.log(`CDN budget: ${CDN_BUDGET_BYTES} B brotli, ${left >= 0 ? `${left} B left` : `${-left} B OVER`}`);
  if (left < 0) process.exit(1);
}
