import { describe, expect, it } from 'vitest';
import { sameOriginPath } from '../../src/protocol/return-to.js';

const origin = 'https://rp.test';

describe('sameOriginPath', () => {
  it.each([
    ['/', '/'],
    ['/account?tab=2#top', '/account?tab=2#top'],
    ['https://rp.test/x', '/x'],
    ['relative', '/relative'],
    ['/%2F%2Fevil.test', '/%2F%2Fevil.test'],
  ])('accepts %j as %j', (input, expected) => {
    expect(sameOriginPath(input, origin)).toBe(expected);
  });

  it.each([
    'https://evil.test',
    '//evil.test',
    '/\\evil.test',
    '/\t/evil.test',
    '/\n/evil.test',
    'https:evil.test',
    'javascript:alert(1)',
    'data:text/html,hi',
    'http://rp.test/',
    '',
    42,
    undefined,
  ])('refuses %j', (input) => {
    expect(sameOriginPath(input, origin)).toBeUndefined();
  });
});
