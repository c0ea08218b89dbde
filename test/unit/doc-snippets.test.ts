// The framework guides (docs/frameworks/*.md) show code from the test apps the end-to-end suite
// builds and drives: every code block follows a `<!-- snippet: <file> -->` comment and appears in
// that file verbatim, so a guide cannot show code that no test runs. Each block is also a whole module
// a reader can copy, imports included: it must compile on its own (esbuild for TypeScript and TSX, the
// Vue and Svelte compilers for components), and a TypeScript block must type-check on its own, as a
// file next to the one it comes from, with that app's tsconfig (so a name it uses without importing
// or declaring it fails). (The README's blocks: test/unit/readme-blocks.test.ts.)
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileScript, parse as parseSfc } from '@vue/compiler-sfc';
import { transform } from 'esbuild';
import { compile as compileSvelte } from 'svelte/compiler';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const rootDir = fileURLToPath(root);
const guides = readdirSync(new URL('docs/frameworks/', root)).filter((name) => name.endsWith('.md'));

interface Block {
  guide: string;
  index: number;
  file: string;
  lang: string;
  code: string;
}

function blocksOf(guide: string): Block[] {
  const text = readFileSync(new URL(`docs/frameworks/${guide}`, root), 'utf8');
  return [...text.matchAll(/<!-- snippet: (\S+) -->\n```(\w*)\n([\s\S]*?)\n```/g)].map(([, file, lang, code], index) => ({
    guide,
    index,
    file: file as string,
    lang: lang as string,
    code: code as string,
  }));
}

/**
 * The SvelteKit recipe is not compiled by the test app (SvelteKit is not installed: `$app/...` and
 * `$lib/...` do not resolve), so its blocks are parsed and compiled, not type-checked.
 */
const NOT_TYPE_CHECKED = /\/sveltekit-recipe\//;

describe.each(guides)('docs/frameworks/%s', (guide) => {
  const text = readFileSync(new URL(`docs/frameworks/${guide}`, root), 'utf8');
  const blocks = blocksOf(guide);

  it('has snippets, and every code block is one', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const fences = text.match(/^```\w*$/gm) ?? [];
    expect(fences.length).toBe(blocks.length * 2);
  });

  it.each(blocks.map((block) => [block.index, block] as const))('block %i appears verbatim in its test app file', (_index, { file, code }) => {
    expect(file).toMatch(/^test\/frameworks\/\w+\/app\//);
    expect(readFileSync(new URL(file, root), 'utf8')).toContain(code);
  });

  it.each(blocks.map((block) => [block.index, block] as const))('block %i is a whole module that compiles on its own', async (_index, { file, lang, code }) => {
    expect(lang, 'the fence names the language of the file').toBe(extname(file).slice(1));
    if (lang === 'ts' || lang === 'tsx') {
      // format esm: a function body's bare `return` ("Top-level return cannot be used inside an
      // ECMAScript module") and other fragments fail here.
      await transform(code, { loader: lang, format: 'esm', sourcefile: file, tsconfigRaw: { compilerOptions: { experimentalDecorators: true } } });
    } else if (lang === 'vue') {
      const { descriptor, errors } = parseSfc(code, { filename: basename(file) });
      expect(errors).toEqual([]);
      expect(descriptor.scriptSetup ?? descriptor.script, 'a <script> with the imports').toBeTruthy();
      // The script with its template compiled in: an unknown binding or a template syntax error throws.
      compileScript(descriptor, { id: `${guide}-${_index}`, inlineTemplate: true });
    } else if (lang === 'svelte') {
      const { warnings } = compileSvelte(code, { filename: basename(file) });
      expect(warnings.map((w) => w.message)).toEqual([]);
    } else {
      throw new Error(`no compiler for a \`\`\`${lang} block`);
    }
  });
});

describe('the TypeScript blocks type-check on their own, in their app', () => {
  const all = guides.flatMap(blocksOf).filter((block) => (block.lang === 'ts' || block.lang === 'tsx') && !NOT_TYPE_CHECKED.test(block.file));
  const apps = [...new Set(all.map((block) => (/^test\/frameworks\/\w+\/app\//.exec(block.file) as RegExpExecArray)[0]))];

  it.each(apps)('%s', (app) => {
    const configPath = join(rootDir, app, 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
    if (!config) throw new Error(`cannot read ${configPath}`);
    // Each block as a file of its own, beside the file it comes from (so its relative imports resolve).
    const virtual = new Map(
      all.filter((block) => block.file.startsWith(app)).map((block) => {
        const source = join(rootDir, block.file);
        return [join(dirname(source), `__doc-${block.guide.replace('.md', '')}-${block.index}${extname(source)}`), block.code] as const;
      }),
    );
    const host = ts.createCompilerHost(config.options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
    host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
    host.getSourceFile = (name, language, ...rest) => {
      const code = virtual.get(name);
      return code === undefined ? getSourceFile.call(host, name, language, ...rest) : ts.createSourceFile(name, code, language);
    };
    const program = ts.createProgram({ rootNames: [...config.fileNames, ...virtual.keys()], options: config.options, host });
    const diagnostics = [...virtual.keys()].flatMap((name) => {
      const file = program.getSourceFile(name) as ts.SourceFile;
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => {
        const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${basename(name)}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    });
    expect(diagnostics).toEqual([]);
  }, 120_000);
});
