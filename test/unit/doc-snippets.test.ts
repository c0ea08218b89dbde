// The framework guides (docs/frameworks/*.md) show code from the test apps the end-to-end suite
// builds and drives: every code block follows a `<!-- snippet: <file> -->` comment and appears in
// that file verbatim, so a guide cannot show code that no test runs. (The README's quick starts are
// whole files of a test app: test/support/readme-blocks.ts.)
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const guides = readdirSync(new URL('docs/frameworks/', root)).filter((name) => name.endsWith('.md'));

describe.each(guides)('docs/frameworks/%s', (guide) => {
  const text = readFileSync(new URL(`docs/frameworks/${guide}`, root), 'utf8');
  const blocks = [...text.matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)].map(([, file, code]) => ({ file: file as string, code: code as string }));

  it('has snippets, and every code block is one', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const fences = text.match(/^```\w*$/gm) ?? [];
    expect(fences.length).toBe(blocks.length * 2);
  });

  it.each(blocks.map((block, index) => [index, block] as const))('block %i appears verbatim in its test app file', (_index, { file, code }) => {
    expect(file).toMatch(/^test\/frameworks\/\w+\/app\//);
    expect(readFileSync(new URL(file, root), 'utf8')).toContain(code);
  });
});
