// The README's code blocks. Each one preceded by `<!-- readme-app: <file> -->` is one file of an app
// the tests build, type-check or run: test/unit/readme-blocks.test.ts says how each is covered (and why
// the few unmarked blocks, shell commands and the generated CDN tags, need no marker), so the README
// cannot show code that does not work.
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

/** One fenced code block of the README. */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language (`ts`, `sh`, `html`, ...), '' when none. */
  lang: string;
  /** The `readme-app` file name when the block is marked as one. */
  app?: string;
  /** Inside `<!-- cdn:start -->` ... `<!-- cdn:end -->`, which `node scripts/cdn-snippet.mjs --check` owns. */
  cdn: boolean;
  code: string;
}

/** Every fenced code block of the README, in order. */
export function readmeCodeBlocks(): ReadmeBlock[] {
  const lines = readFileSync(README, 'utf8').split('\n');
  const blocks: ReadmeBlock[] = [];
  let cdn = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('<!-- cdn:start -->')) cdn = true;
    if (line.startsWith('<!-- cdn:end -->')) cdn = false;
    const fence = /^```(\w*)\s*$/.exec(line);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const marker = /^<!-- readme-app: (\S+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({ line: i + 1, lang: fence[1] as string, cdn, code: lines.slice(i + 1, end).join('\n'), ...(marker ? { app: marker[1] as string } : {}) });
    i = end;
  }
  return blocks;
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
