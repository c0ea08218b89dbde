// The one normalisation of return targets (src/protocol/return-to.ts), used by the browser client, the
// session-server-mode client and the session server. Whatever string comes in, what comes out is
// undefined or a path that stays on the app's origin both when concatenated onto it and when
// re-resolved against it (WHATWG URL: a reference starting with `//`, or `/\` for http(s), is
// scheme-relative and names another host).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameOriginPath } from '../../src/protocol/return-to.js';

const APP = 'https://rp.test';
const EVIL = 'evil.example';

/** A path is safe when both ways of turning it back into a URL stay on the app's origin. */
function expectSafe(path: string | undefined, input: unknown): void {
  if (path === undefined) return;
  const what = JSON.stringify(input);
  expect(path.startsWith('/'), what).toBe(true);
  expect(/^\/[/\\]/.test(path), what).toBe(false);
  expect(new URL(APP + path).origin, what).toBe(APP);
  expect(new URL(path, APP).origin, what).toBe(APP);
  // One normalisation: applying it again changes nothing.
  expect(sameOriginPath(path, APP), what).toBe(path);
}

/** Every spelling we know of that becomes `//evil.example/x` (or `/\evil...`) somewhere downstream. */
const SCHEME_RELATIVE_IN_DISGUISE = [
  `/.//${EVIL}/x`,
  `/..//${EVIL}/x`,
  `/%2e//${EVIL}/x`,
  `/%2E//${EVIL}/x`,
  `/%2e%2e//${EVIL}/x`,
  `/.%2e//${EVIL}/x`,
  `/a/..//${EVIL}/x`,
  `/a/%2e%2e//${EVIL}/x`,
  `/././/${EVIL}/x`,
  `.//${EVIL}/x`,
  `..//${EVIL}/x`,
  `%2e//${EVIL}/x`,
  `///${EVIL}/x`,
  `////${EVIL}/x`,
  `${APP}//${EVIL}/x`,
  `${APP}/.//${EVIL}/x`,
  `${APP}/%2e%2e//${EVIL}/x`,
  `HTTPS://RP.TEST//${EVIL}/x`,
  `${APP}:443//${EVIL}/x`,
  `/\\${EVIL}/x`,
  `/.\\/${EVIL}/x`,
  `\\\\${EVIL}/x`,
  `/\t/${EVIL}/x`,
  `/\n/${EVIL}/x`,
  `/\r/${EVIL}/x`,
  `/.\t//${EVIL}/x`,
  ` //${EVIL}/x`,
  `\u0000//${EVIL}/x`,
  `\u001f/.//${EVIL}/x`,
];

/** Look-alikes that are harmless paths on the app's origin once normalised (not dot segments, not slashes). */
const LOOK_ALIKES = [
  `/%2F/${EVIL}/x`,
  `/%2F%2F${EVIL}/x`,
  `/./%2F/${EVIL}/x`,
  `/%5C${EVIL}/x`,
  `/%5C%5C${EVIL}/x`,
  `/%09/${EVIL}/x`,
  `/\u3002\u3002//${EVIL}/x`,
  `/\uff0e\uff0e//${EVIL}/x`,
  `/\u2024\u2024//${EVIL}/x`,
  `/@${EVIL}/x`,
  `@${EVIL}/x`,
  `/;//${EVIL}/x`,
  `?//${EVIL}/x`,
  `#//${EVIL}/x`,
  `/x?next=//${EVIL}`,
  `/x#//${EVIL}`,
];

describe('sameOriginPath: the one normalisation of return targets', () => {
  it.each(SCHEME_RELATIVE_IN_DISGUISE)('refuses %j, which leaves the origin when re-resolved', (input) => {
    expect(sameOriginPath(input, APP)).toBeUndefined();
  });

  it.each(LOOK_ALIKES)('keeps %j on the app origin', (input) => {
    const path = sameOriginPath(input, APP);
    expect(path).toBeDefined();
    expectSafe(path, input);
  });

  it('property: any string gives undefined or a single-slash path that stays on the origin however it is read back', () => {
    // Characters that matter to URL parsing, weighted so that dot segments and slashes meet often.
    const piece = fc.oneof(
      fc.constantFrom('/', '//', '\\', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '%5C', '%', ':', '@', '?', '#', ';', 'https:', 'http:', APP, 'rp.test', EVIL),
      fc.constantFrom('\t', '\n', '\r', ' ', '\u0000', '\u000b', '\u000c', '\u007f', '\u00a0', '\u3002', '\uff0e', '\u2024', '\ufeff', '\u2028'),
      fc.string({ maxLength: 4 }),
      fc.string({ maxLength: 4, unit: 'grapheme' }),
    );
    const input = fc.oneof(fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')), fc.string(), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(input, (value) => {
        expectSafe(sameOriginPath(value, APP), value);
      }),
      { numRuns: 10_000 },
    );
  });

  it('property: a scheme-relative reference behind any dot segments is refused', () => {
    const dots = fc.array(fc.constantFrom('.', '..', '%2e', '%2E', '%2e%2e', '.%2e', 'a/..'), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(dots, fc.constantFrom('', APP), (segments, prefix) => {
        const input = `${prefix}/${segments.join('/')}//${EVIL}/x`;
        expect(sameOriginPath(input, APP), input).toBeUndefined();
      }),
    );
  });
});
