import { describe, expect, it } from 'vitest';
import { setup } from './harness.js';

// OIDC Core 1.0 §12.2: an ID token returned by a refresh has the same iss, sub, aud and azp (none if the
// original had none) as the login's; its iat is the time the new token is issued; an auth_time, if
// present, is the original authentication's; a nonce, if present, is the original one (errata set 2:
// SHOULD NOT be present). Everything else as at login (§3.1.3.7): exp, nbf, the pinned alg.
// One row per claim × wrong value / missing / ill-typed; every row must refuse the whole response and
// leave the stored session exactly as it was.

const SESSION = 'oidc-session:v1:spa:session';
type Claims = Record<string, unknown>;
type Row = [label: string, tamper: (refreshed: Claims, original: Claims) => Claims, login?: (c: Claims) => Claims];

const without = (c: Claims, name: string) => ({ ...c, [name]: undefined });
const withAuthTime = (c: Claims) => ({ ...c, auth_time: (c.iat as number) - 60 });
const withAzp = (c: Claims) => ({ ...c, azp: 'spa' });

/** Signs in (optionally with altered login claims), then answers the next refresh with an ID token built from the login's. */
async function refreshWith(tamper: Row[1], login?: Row[2]) {
  const s = await setup();
  if (login) s.provider.hooks.idTokenClaims = login;
  await s.signIn();
  const original = (await s.client.getUser()) as Claims;
  s.clock.advance(3_600_000);
  const seconds = Math.floor(s.clock.now() / 1000);
  // What a correct provider sends: the login's claims, no nonce, a new iat and exp.
  const refreshed: Claims = { ...original, nonce: undefined, iat: seconds, exp: seconds + 600 };
  s.provider.hooks.idTokenClaims = () => tamper(refreshed, original);
  s.provider.hooks.token = async (body, normal) => {
    const json = (await (await normal()).json()) as Claims;
    return s.provider.json(body.get('grant_type') === 'refresh_token' ? { ...json, id_token: await s.provider.idToken('ignored', undefined) } : json);
  };
  return { ...s, original, before: s.storage.map.get(SESSION) };
}

const refused: Row[] = [
  ['iss another issuer', (c) => ({ ...c, iss: 'https://evil.test' })],
  ['iss missing', (c) => without(c, 'iss')],
  ['iss a number', (c) => ({ ...c, iss: 42 })],
  ['sub another user', (c) => ({ ...c, sub: 'mallory' })],
  ['sub missing', (c) => without(c, 'sub')],
  ['sub a number', (c) => ({ ...c, sub: 42 })],
  ['aud another client', (c) => ({ ...c, aud: 'other' })],
  ['aud widened to a second audience (azp ours)', (c) => ({ ...c, aud: ['spa', 'other'], azp: 'spa' })],
  ['aud missing', (c) => without(c, 'aud')],
  ['aud a number', (c) => ({ ...c, aud: 42 })],
  ['iat before the original ID token', (c, o) => ({ ...c, iat: (o.iat as number) - 1 })],
  ['iat a day in the future', (c) => ({ ...c, iat: (c.iat as number) + 86_400 })],
  ['iat missing', (c) => without(c, 'iat')],
  ['iat a string', (c) => ({ ...c, iat: String(c.iat) })],
  ['exp in the past', (c) => ({ ...c, exp: (c.iat as number) - 120 })],
  ['exp missing', (c) => without(c, 'exp')],
  ['exp a string', (c) => ({ ...c, exp: String(c.exp) })],
  ['nbf an hour ahead', (c) => ({ ...c, nbf: (c.iat as number) + 3600 })],
  ['nbf a string', (c) => ({ ...c, nbf: 'soon' })],
  ['auth_time where the original had none', (c) => ({ ...c, auth_time: (c.iat as number) - 5 })],
  ['auth_time of a later authentication', (c, o) => ({ ...c, auth_time: (o.auth_time as number) + 1 }), withAuthTime],
  ['auth_time a string', (c, o) => ({ ...c, auth_time: String(o.auth_time) }), withAuthTime],
  ['azp where the original had none', (c) => ({ ...c, azp: 'spa' })],
  ['azp another party', (c) => ({ ...c, azp: 'other' }), withAzp],
  ['azp missing although the original had one', (c) => without(c, 'azp'), withAzp],
  ['azp a number', (c) => ({ ...c, azp: 42 }), withAzp],
  ['nonce another value', (c) => ({ ...c, nonce: 'attacker-nonce' })],
  ['nonce a number', (c) => ({ ...c, nonce: 42 })],
];

const accepted: Row[] = [
  ['every claim as the login had it, a new iat', (c) => c],
  ['the same iat as the original (the original ID token sent again)', (c, o) => ({ ...c, iat: o.iat, exp: o.exp })],
  ['aud as a one-element array', (c) => ({ ...c, aud: ['spa'] })],
  ['auth_time equal to the original', (c, o) => ({ ...c, auth_time: o.auth_time }), withAuthTime],
  ['auth_time left out', (c) => without(c, 'auth_time'), withAuthTime],
  ['azp equal to the original', (c) => c, withAzp],
  ['the original nonce', (c, o) => ({ ...c, nonce: o.nonce })],
];

describe('refreshed ID token claims (OIDC Core §12.2)', () => {
  it.each(refused)('RF-IT %s: ProtocolError invalid_id_token, the session unchanged', async (_, tamper, login) => {
    const { client, storage, before, provider } = await refreshWith(tamper, login);
    await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_id_token' });
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    expect(storage.map.get(SESSION)).toBe(before);
    expect(client.state.status).toBe('authenticated');
  });

  it.each(accepted)('RF-IT %s: accepted, the new claims kept', async (_, tamper, login) => {
    const { client, storage, before, original } = await refreshWith(tamper, login);
    await expect(client.getAccessToken()).resolves.toMatch(/^at-/);
    expect(storage.map.get(SESSION)).not.toBe(before);
    expect((await client.getUser())?.sub).toBe(original.sub);
  });

  it('RF-IT an unsigned (alg "none") refreshed ID token: refused like at login', async () => {
    const { client, provider, storage, before, original } = await refreshWith((c) => c);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    provider.hooks.token = async (body, normal) => {
      const json = (await (await normal()).json()) as Claims;
      return provider.json({ ...json, id_token: `${b64({ alg: 'none' })}.${b64({ ...original, nonce: undefined })}.` });
    };
    await expect(client.getAccessToken()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_id_token' });
    expect(storage.map.get(SESSION)).toBe(before);
  });
});
