import { expect } from '@playwright/test';

/**
 * One expiry of a refresh race, in any engine: every caller got a token, the same one, and not an
 * error (callers report failures as "ERR <code> <message>").
 */
export function expectOneTokenForAllCallers(tokens: string[], callers: number, cycle: number): void {
  expect(tokens, `cycle ${cycle}`).toHaveLength(callers);
  expect([...new Set(tokens)].map((t) => t.slice(0, 90)), `cycle ${cycle}: one token for all callers`).toHaveLength(1);
  expect(tokens[0], `cycle ${cycle}`).not.toMatch(/^ERR/);
}
