// The CDN snippet for the README: a version-pinned jsDelivr (and unpkg) URL with its Subresource
// Integrity hash, computed from the built dist/oidc-session.global.js (and the session-server-mode
// build, dist/oidc-session-server-mode.global.js).
//
//   node scripts/cdn-snippet.mjs           write dist/cdn-snippet.html (part of `npm run build`)
//   node scripts/cdn-snippet.mjs --readme  put the snippet into README.md (`npm run cdn-snippet`)
//   node scripts/cdn-snippet.mjs --check   fail when README.md does not carry the current snippet (CI)
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

const root = new URL('../', import.meta.url);
const FILE = 'dist/oidc-session.global.js';
const SERVER_MODE_FILE = 'dist/oidc-session-server-mode.global.js';
const START = '<!-- cdn:start -->';
const END = '<!-- cdn:end -->';

const { version } = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
const integrityOf = async (file) => `sha384-${createHash('sha384').update(await readFile(new URL(file, root))).digest('base64')}`;
const tag = async (file) => [
  `<script src="https://cdn.jsdelivr.net/npm/oidc-session@${version}/${file}"`,
  `        integrity="${await integrityOf(file)}"`,
  '        crossorigin="anonymous"></script>',
];
const integrity = await integrityOf(FILE);
const snippet = [
  '```html',
  ...(await tag(FILE)),
  '```',
  '',
  `The same file from unpkg: \`https://unpkg.com/oidc-session@${version}/${FILE}\` (same integrity hash).`,
  'For session-server mode (the session lives on `oidc-session/server`), the much smaller build:',
  '',
  '```html',
  ...(await tag(SERVER_MODE_FILE)),
  '```',
].join('\n');
const block = `${START}\n${snippet}\n${END}`;

const readmePath = new URL('README.md', root);
const readme = await readFile(readmePath, 'utf8');
const current = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);

if (process.argv.includes('--check')) {
  if (current !== block) {
    console.error('README.md: the CDN snippet is out of date for this build. Run `npm run cdn-snippet` and commit README.md.');
    process.exit(1);
  }
  console.log(`README.md carries the CDN snippet for oidc-session@${version} (${integrity}).`);
} else if (process.argv.includes('--readme')) {
  await writeFile(readmePath, readme.replace(current, block));
  console.log(`README.md: CDN snippet for oidc-session@${version} (${integrity}).`);
} else {
  await writeFile(new URL('dist/cdn-snippet.html', root), `${snippet}\n`);
}
