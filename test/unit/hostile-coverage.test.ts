import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CASE_IDS, PENDING } from '../hostile/cases.js';

// Every security case is either exercised by a test whose name starts with its ID, or pending with a
// reason; never both, never neither.
const dir = new URL('../hostile/', import.meta.url);
const specs = readdirSync(dir)
  .filter((f) => f.endsWith('.spec.ts') && f !== 'pending.spec.ts')
  .map((f) => readFileSync(new URL(f, dir), 'utf8'))
  .join('\n');

describe('hostile suite coverage', () => {
  it.each(CASE_IDS.filter((id) => !(id in PENDING)))('%s has a test', (id) => {
    // Test names open with the ID: test('AR-01 …'), rejects('IT-01 …'), or a template `AR-06 …`.
    expect(specs).toMatch(new RegExp(`['\`]${id} `));
  });

  it.each(Object.keys(PENDING))('%s is pending with a reason and has no test yet', (id) => {
    expect(CASE_IDS).toContain(id);
    expect(PENDING[id]?.length).toBeGreaterThan(20);
    expect(specs).not.toMatch(new RegExp(`['\`]${id} `));
  });
});
