import type { Page } from '@playwright/test';
import { expect, login, misbehave, stateOf, test } from './fixtures.js';

// F. Refresh: the claims of a refreshed ID token, end to end (OIDC Core 1.0 §12.2). The full table
// (every claim × wrong / missing / ill-typed) is in test/unit/refreshed-id-token.test.ts; here a
// representative row per rule, through the built CDN file and a real signature.

const SESSION = 'oidc-session:v1:spa:session';
const stored = (page: Page) => page.evaluate((key) => sessionStorage.getItem(key), SESSION);
const expire = (page: Page) => page.evaluate(() => void ((window as any).skewMs = ((window as any).skewMs ?? 0) + 700_000));
const token = (page: Page) => page.evaluate(() => (window as any).client.getAccessToken().then((t: string) => ({ ok: true, t }), (window as any).describe));

type Claims = Record<string, unknown>;
const rows: Array<[string, (c: Claims) => Claims]> = [
  ['sub of another user', (c) => ({ ...c, sub: 'mallory' })],
  ['iss of another issuer', (c) => ({ ...c, iss: 'https://evil.test' })],
  ['aud widened to a second audience', (c) => ({ ...c, aud: [c.aud, 'other'], azp: c.aud })],
  ['azp although the login had none', (c) => ({ ...c, azp: c.aud })],
  ['auth_time although the login had none', (c) => ({ ...c, auth_time: (c.iat as number) - 5 })],
  ['a nonce that is not the login\'s', (c) => ({ ...c, nonce: 'attacker-nonce' })],
  ['iat before the login\'s ID token', (c) => ({ ...c, iat: (c.iat as number) - 7200 })],
  ['iat missing', (c) => ({ ...c, iat: undefined })],
];

test('RF-IT baseline: a refreshed ID token with the login\'s claims is accepted', async ({ page, world }) => {
  await login(page, world);
  misbehave(world.op, { refreshIdToken: true });
  await expire(page);
  expect(await token(page)).toMatchObject({ ok: true });
  expect((await stateOf(page)).user?.sub).toBe('alice');
});

for (const [label, tamper] of rows) {
  test(`RF-IT refreshed ID token with ${label}: ProtocolError, the stored session unchanged`, async ({ page, world }) => {
    await login(page, world);
    const before = await stored(page);
    misbehave(world.op, { refreshIdToken: true, idTokenClaims: (c, grant) => (grant === 'refresh_token' ? tamper(c) : c) });
    await expire(page);
    expect(await token(page)).toMatchObject({ ok: false, name: 'ProtocolError', code: 'invalid_id_token' });
    expect(world.op.count('token', 'refresh_token')).toBe(1);
    expect(await stored(page)).toBe(before);
    expect((await stateOf(page)).user?.sub).toBe('alice');
  });
}
