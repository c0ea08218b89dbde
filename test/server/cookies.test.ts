// src/server/cookies.ts: reading only the named cookie, within the sizes a browser sends; writing
// HttpOnly, SameSite=Lax, Path=/ cookies.
import { describe, expect, test } from 'vitest';
import { MAX_COOKIE_BYTES, cookiesStartingWith, readCookie, serializeCookie } from '../../src/server/cookies.js';

const NAME = '__Host-oidc-session';

describe('readCookie', () => {
  test('finds the exact name among others, SP/HTAB trimmed; a name carried twice is absent (test/server/cookie-parsing.test.ts)', () => {
    expect(readCookie(`a=1; ${NAME}=abc; b=2`, NAME)).toBe('abc');
    expect(readCookie(`${NAME}=abc`, NAME)).toBe('abc');
    expect(readCookie(`  ${NAME}  =  abc  ;x=y`, NAME)).toBe('abc');
    expect(readCookie(`${NAME}=first; ${NAME}=second`, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}=a=b`, NAME)).toBe('a=b');
  });

  test('other names, a prefix or an extension of the name, and parts without "=" are not it', () => {
    expect(readCookie(`${NAME}x=abc`, NAME)).toBeUndefined();
    expect(readCookie(`x${NAME}=abc`, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}.login.x=abc`, NAME)).toBeUndefined();
    expect(readCookie(NAME, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}; other=1`, NAME)).toBeUndefined();
  });

  test('absent, empty header or empty value is undefined', () => {
    for (const header of [undefined, null, '', ';', `${NAME}=`, `${NAME}=   ;`]) expect(readCookie(header, NAME)).toBeUndefined();
  });

  test('limits: a value up to 4096 characters is read, longer is not; a header over 16384 characters is ignored', () => {
    expect(MAX_COOKIE_BYTES).toBe(4096);
    expect(readCookie(`${NAME}=${'v'.repeat(4096)}`, NAME)).toHaveLength(4096);
    expect(readCookie(`${NAME}=${'v'.repeat(4097)}`, NAME)).toBeUndefined();
    const padding = (total: number) => `; pad=${'p'.repeat(total - `${NAME}=abc; pad=`.length)}`;
    expect(readCookie(`${NAME}=abc${padding(16_384)}`, NAME)).toBe('abc');
    expect(readCookie(`${NAME}=abc${padding(16_385)}`, NAME)).toBeUndefined();
    expect(cookiesStartingWith(`${NAME}.login.a=1${padding(16_385)}`, `${NAME}.login.`)).toEqual([]);
  });
});

describe('cookiesStartingWith', () => {
  test('every cookie whose name starts with the prefix, in order', () => {
    const header = `${NAME}=s; ${NAME}.login.aaa=1; x=2; ${NAME}.login.bbb=3;${NAME}.login.=4`;
    expect(cookiesStartingWith(header, `${NAME}.login.`)).toEqual([
      [`${NAME}.login.aaa`, '1'],
      [`${NAME}.login.bbb`, '3'],
      [`${NAME}.login.`, '4'],
    ]);
    expect(cookiesStartingWith(undefined, 'x')).toEqual([]);
    expect(cookiesStartingWith('a=1', 'b')).toEqual([]);
  });
});

describe('serializeCookie', () => {
  test('HttpOnly, SameSite=Lax, Path=/; Secure and Max-Age as asked', () => {
    expect(serializeCookie(NAME, 'v', { secure: true, maxAge: 600 })).toBe(`${NAME}=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=600`);
    expect(serializeCookie(NAME, 'v', { secure: false })).toBe(`${NAME}=v; Path=/; HttpOnly; SameSite=Lax`);
  });
  test('Max-Age is a whole number of seconds, never negative; 0 deletes', () => {
    expect(serializeCookie(NAME, '', { secure: true, maxAge: 0 })).toMatch(/; Max-Age=0$/);
    expect(serializeCookie(NAME, 'v', { secure: true, maxAge: -5 })).toMatch(/; Max-Age=0$/);
    expect(serializeCookie(NAME, 'v', { secure: true, maxAge: 59.9 })).toMatch(/; Max-Age=59$/);
  });
});
