// The README's runnable examples: each code block preceded by `<!-- readme-app: <file> -->` is one
// file of an app the tests build and drive (test/frameworks/readme/) or import on the server
// (test/unit/readme-quick-start.test.ts), so the README cannot show code that does not work.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The blocks marked `<!-- readme-app: <file> -->`, by file name. */
export function readmeAppFiles(): Record<string, string> {
  const text = readFileSync(README, 'utf8');
  const files: Record<string, string> = {};
  for (const match of text.matchAll(/<!-- readme-app: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) files[match[1] as string] = `${match[2]}\n`;
  return files;
}

/**
 * The README's placeholders, each replaced by what a test page knows at run time: the local
 * provider's issuer and client id (injected as `window.OIDC_CONFIG`) and the app's own URL.
 */
export function withTestProvider(source: string, appUrl: string): string {
  return source
    .replaceAll("'https://passport.rollup.id'", '(window as any).OIDC_CONFIG.issuer')
    .replaceAll("'your-client-id'", '(window as any).OIDC_CONFIG.clientId')
    .replaceAll(/'https:\/\/app\.example\/([^']*)'/g, (_, path: string) => `${appUrl} + '${path}'`);
}
