// Compiles a Svelte component for the Svelte binding's unit tests (test/bindings/svelte*.test.ts), which
// run under vitest without the Svelte Vite plugin: the compiled module's `svelte/...` imports point at
// the installed runtime's files (client or server build), and it is written to a temp file and imported.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { compile } from 'svelte/compiler';

const svelteDir = dirname(createRequire(import.meta.url).resolve('svelte/package.json'));

const files = {
  client: {
    svelte: 'src/index-client.js',
    'svelte/store': 'src/store/index-client.js',
    'svelte/internal/client': 'src/internal/client/index.js',
    'svelte/internal/disclose-version': 'src/internal/disclose-version.js',
  },
  server: {
    svelte: 'src/index-server.js',
    'svelte/store': 'src/store/index-server.js',
    'svelte/internal/server': 'src/internal/server/index.js',
    'svelte/server': 'src/server/index.js',
  },
} as const;

/** The absolute path of one Svelte module for that side, as the compiled component imports it. */
export function svelteModule(side: 'client' | 'server', specifier: string): string {
  const file = (files[side] as Record<string, string>)[specifier];
  if (!file) throw new Error(`no ${side} file for ${specifier}`);
  return join(svelteDir, file);
}

/** Compiles `source` (runes mode) and imports it; resolves with the component. */
export async function loadComponent(source: string, side: 'client' | 'server'): Promise<unknown> {
  const { js } = compile(source, { generate: side, runes: true, filename: 'Test.svelte' });
  const code = js.code.replace(/(from |import )'(svelte[^']*)'/g, (_, keyword: string, specifier: string) => `${keyword}'${svelteModule(side, specifier)}'`);
  // Inside the project (vitest's module runner does not load files from outside it), in the tools' cache folder.
  const cache = join(svelteDir, '..', '.cache');
  await mkdir(cache, { recursive: true });
  const folder = await mkdtemp(join(cache, 'oidc-session-svelte-'));
  const file = join(folder, 'Test.mjs');
  await writeFile(file, code);
  try {
    return ((await import(/* @vite-ignore */ file)) as { default: unknown }).default;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
