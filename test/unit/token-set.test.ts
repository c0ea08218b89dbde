import { describe, expect, it } from 'vitest';
import { createSessionRecord, isFresh, parseSessionRecord, serializeSessionRecord, type TokenGrant } from '../../src/session/token-set.js';

const grant = (over: Partial<TokenGrant> = {}): TokenGrant => ({
  accessToken: 'at',
  tokenType: 'bearer',
  expiresIn: 600,
  refreshToken: 'rt',
  idToken: 'id',
  claims: { sub: 'alice' },
  scope: 'openid',
  ...over,
});
const ctx = { issuer: 'https://op.test/', clientId: 'spa', now: 1_000_000, sid: 'login-1' };

describe('session record', () => {
  it('computes expiry from the server-relative expires_in', () => {
    expect(createSessionRecord(grant(), ctx).expiresAt).toBe(1_600_000);
  });

  it('keeps the previous refresh token and ID token when a refresh omits them', () => {
    const first = createSessionRecord(grant(), ctx);
    const next = createSessionRecord(grant({ accessToken: 'at2', refreshToken: undefined, idToken: undefined, claims: undefined }), { ...ctx, now: 2_000_000 }, first);
    expect(next).toMatchObject({ accessToken: 'at2', refreshToken: 'rt', idToken: 'id', claims: { sub: 'alice' } });
  });

  it('is fresh until the leeway, capped at half the lifetime', () => {
    const record = createSessionRecord(grant({ expiresIn: 600 }), ctx);
    expect(isFresh(record, 1_600_000 - 30_001, 30)).toBe(true);
    expect(isFresh(record, 1_600_000 - 30_000, 30)).toBe(false);
    const short = createSessionRecord(grant({ expiresIn: 10 }), ctx);
    expect(isFresh(short, 1_004_999, 30)).toBe(true);
    expect(isFresh(short, 1_005_000, 30)).toBe(false);
  });

  it('round-trips through storage and refuses anything malformed', () => {
    const record = createSessionRecord(grant(), ctx);
    const expected = { issuer: ctx.issuer, clientId: ctx.clientId };
    expect(parseSessionRecord(serializeSessionRecord(record), expected)).toEqual(record);
    const variants: unknown[] = [
      undefined,
      '',
      'null',
      '[]',
      JSON.stringify({ ...record, v: 2 }),
      JSON.stringify({ ...record, issuer: 'https://evil.test/' }),
      JSON.stringify({ ...record, accessToken: '' }),
      JSON.stringify({ ...record, refreshToken: 42 }),
      JSON.stringify({ ...record, expiresAt: 'soon' }),
      JSON.stringify({ ...record, claims: { name: 'no sub' } }),
      JSON.stringify({ ...record, accessToken: 'x'.repeat(70_000) }),
    ];
    for (const raw of variants) expect(parseSessionRecord(raw, expected)).toBeUndefined();
  });
});
