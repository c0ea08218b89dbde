// docs/conformance.md names, for every requirement, the test that proves it. This keeps the names
// honest: each quoted title must occur in the file it is quoted for, so renaming or deleting a test
// fails here until the matrix says what proves the requirement now.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const matrix = readFileSync(new URL('docs/conformance.md', root), 'utf8');
const MODULES_FILE = 'test/unit/oidcc-client-test.test.ts';

/** [file, title] for every title the Test column quotes: `file` › `title`, `title`; (row labels skipped). */
function citations(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let inModules = false;
  for (const line of matrix.split('\n')) {
    if (line.startsWith('## ')) inModules = line.includes('certification modules');
    if (!line.startsWith('|') || /^\|[-| ]+\|$/.test(line)) continue;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1);
    const cell = cells.at(-1) ?? '';
    let file = inModules ? MODULES_FILE : undefined;
    let afterArrow = inModules;
    // Tokens: a backticked span, the arrow, or a word that introduces row labels.
    for (const [token] of cell.matchAll(/`[^`]+`|›|\brows?\b|;|\(/g)) {
      if (token === '›') afterArrow = true;
      else if (token === ';') afterArrow = inModules;
      else if (token === '(' || /^rows?$/.test(token)) afterArrow = false;
      else {
        const text = token.slice(1, -1);
        if (/^test\/\S+\.(ts|mjs)$/.test(text)) {
          file = text;
          afterArrow = false;
        } else if (afterArrow && file && cells.length >= 3) out.push([file, text]);
      }
    }
  }
  return out;
}

// The OpenID Foundation's Basic RP and Config RP plans (conformance-suite OIDCCClientBasicTestPlan,
// OIDCCClientConfigTestPlan): each module must have a row and a test named after it.
const CERTIFICATION_MODULES = [
  'oidcc-client-test',
  'oidcc-client-test-invalid-iss',
  'oidcc-client-test-missing-sub',
  'oidcc-client-test-invalid-aud',
  'oidcc-client-test-missing-iat',
  'oidcc-client-test-kid-absent-single-jwks',
  'oidcc-client-test-kid-absent-multiple-jwks',
  'oidcc-client-test-idtoken-sig-rs256',
  'oidcc-client-test-idtoken-sig-none',
  'oidcc-client-test-invalid-sig-rs256',
  'oidcc-client-test-userinfo-invalid-sub',
  'oidcc-client-test-nonce-invalid',
  'oidcc-client-test-scope-userinfo-claims',
  'oidcc-client-test-client-secret-basic',
  'oidcc-client-test-discovery-openid-config',
  'oidcc-client-test-discovery-jwks-uri-keys',
  'oidcc-client-test-discovery-issuer-mismatch',
  'oidcc-client-test-signing-key-rotation-just-before-signing',
  'oidcc-client-test-signing-key-rotation',
];

describe('docs/conformance.md', () => {
  const cited = citations();
  const modules = readFileSync(new URL(MODULES_FILE, root), 'utf8');

  it.each(CERTIFICATION_MODULES)('certification module %s has a matrix row and a test titled after it', (name) => {
    expect(matrix).toContain(`| \`${name}\` |`);
    expect(modules).toMatch(new RegExp(`['\`]${name}: `));
  });

  it('no row is left pending or as an open gap: each names a test or a decision', () => {
    expect(matrix).not.toMatch(/PENDING|GAP-\d/);
  });

  it('quotes at least one test title per table row that names a test file', () => {
    expect(cited.length).toBeGreaterThan(150);
  });

  it.each(cited)('%s contains the title %j', (file, title) => {
    const text = readFileSync(new URL(file, root), 'utf8');
    expect(text.includes(title), `${file} has no test titled "${title}…"`).toBe(true);
  });
});
