import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/index.js';
import { setup } from './harness.js';

const DAY = 86_400;

describe('ID token checks beyond oauth4webapi', () => {
  it('IT-14 accepts a correct at_hash and an absent one, rejects a wrong one', async () => {
    const good = await setup({ atHash: true });
    await expect(good.signIn()).resolves.toBeDefined();
    expect(good.client.state.status).toBe('authenticated');

    const absent = await setup();
    await expect(absent.signIn()).resolves.toBeDefined();

    const wrong = await setup({ atHash: true });
    wrong.provider.hooks.idTokenClaims = (c) => ({ ...c, at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' });
    const error = await wrong.signIn().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: 'invalid_id_token' });
    expect(wrong.storedTokens()).toEqual([]);
  });

  it.each([
    ['iat a day in the future', (c: Record<string, unknown>) => ({ ...c, iat: (c.iat as number) + DAY })],
    ['iat seven days old', (c: Record<string, unknown>) => ({ ...c, iat: (c.iat as number) - 7 * DAY })],
    ['iat missing', ({ iat: _iat, ...c }: Record<string, unknown>) => c],
    ['iat not a number', (c: Record<string, unknown>) => ({ ...c, iat: 'x' })],
    ['nbf an hour ahead', (c: Record<string, unknown>) => ({ ...c, nbf: (c.iat as number) + 3600 })],
    ['exp missing', ({ exp: _exp, ...c }: Record<string, unknown>) => c],
    ['exp a string', (c: Record<string, unknown>) => ({ ...c, exp: '9999999999' })],
  ])('IT-05/IT-06 rejects %s at login', async (_, tamper) => {
    const { signIn, provider, storedTokens } = await setup();
    provider.hooks.idTokenClaims = tamper;
    await expect(signIn()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_id_token' });
    expect(storedTokens()).toEqual([]);
  });

  // OIDC Core §3.1.3.7 step 3: reject an ID token that lists audiences the client does not trust (we
  // trust none but ourselves); step 5: an azp, when present, must be our client_id. oauth4webapi checks
  // azp only when aud has several values, so both are ours to check.
  it.each([
    ['a single aud with azp naming another party', (c: Record<string, unknown>) => ({ ...c, azp: 'other' }), 'azp'],
    ['aud [client, other] with azp our client', (c: Record<string, unknown>) => ({ ...c, aud: ['spa', 'other'], azp: 'spa' }), 'aud'],
    ['aud [client, other, client] with azp our client', (c: Record<string, unknown>) => ({ ...c, aud: ['spa', 'other', 'spa'], azp: 'spa' }), 'aud'],
  ])('IT-03 rejects %s at login', async (_, tamper, claim) => {
    const { signIn, provider, storedTokens } = await setup();
    provider.hooks.idTokenClaims = tamper;
    await expect(signIn()).rejects.toMatchObject({ name: 'ProtocolError', code: 'invalid_id_token', message: expect.stringContaining(`"${claim}"`) });
    expect(storedTokens()).toEqual([]);
  });

  it.each([
    ['azp equal to our client_id', (c: Record<string, unknown>) => ({ ...c, azp: 'spa' })],
    ['aud [client] with azp our client', (c: Record<string, unknown>) => ({ ...c, aud: ['spa'], azp: 'spa' })],
  ])('IT-03 accepts %s', async (_, tamper) => {
    const { signIn, provider } = await setup();
    provider.hooks.idTokenClaims = tamper;
    await expect(signIn()).resolves.toBeDefined();
  });

  it('IT-05 accepts an exp ten seconds past, within the clock tolerance', async () => {
    const { signIn, provider } = await setup();
    provider.hooks.idTokenClaims = (c) => ({ ...c, exp: (c.iat as number) - 10 });
    await expect(signIn()).resolves.toBeDefined();
  });

  it('IT-06 rejects a refreshed ID token from the future but accepts an old iat on refresh', async () => {
    const { client, signIn, provider, clock, storage } = await setup();
    await signIn();
    clock.advance(3_600_000);
    provider.hooks.token = async (body, normal) => {
      const json = (await (await normal()).json()) as Record<string, unknown>;
      return provider.json({ ...json, id_token: await provider.idToken('alice', undefined) });
    };
    provider.hooks.idTokenClaims = (c) => ({ ...c, iat: (c.iat as number) + DAY, exp: (c.exp as number) + DAY });
    const before = storage.map.get('oidc-session:v1:spa:session');
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'invalid_id_token' });
    expect(storage.map.get('oidc-session:v1:spa:session')).toBe(before);
  });
});

describe('storage that refuses writes', () => {
  it('keeps the session in memory for the page and warns the app, leaving nothing half-written', async () => {
    const { makeClient, provider, navigations } = await setup();
    let failWrites = false;
    const map = new Map<string, string>();
    const client = makeClient({
      storage: {
        get: (k) => map.get(k),
        set: (k, v) => {
          if (failWrites && k.endsWith(':session')) throw new DOMException('full', 'QuotaExceededError');
          map.set(k, v);
        },
        remove: (k) => void map.delete(k),
        keys: () => [...map.keys()],
      },
    });
    const warnings: unknown[] = [];
    client.on('warning', (e) => void warnings.push(e.error));
    await client.login();
    failWrites = true;
    const result = await client.handleCallback(provider.authorize(navigations[0] as string));
    expect(result.user.sub).toBe('alice');
    expect(client.state.status).toBe('authenticated');
    expect(await client.getAccessToken()).toMatch(/^at-/);
    expect(warnings).toEqual([expect.objectContaining({ name: 'StorageError', code: 'storage_unavailable' })]);
    expect([...map.keys()].filter((k) => k.endsWith(':session') || k.includes(':txn:'))).toEqual([]);
  });

  it('warns when the stored session cannot be read, and starts signed out', async () => {
    const { makeClient } = await setup();
    const client = makeClient({
      storage: { get: () => { throw new DOMException('denied', 'SecurityError'); }, set: () => undefined, remove: () => undefined, keys: () => [] },
    });
    const warnings: unknown[] = [];
    client.on('warning', (e) => void warnings.push(e.error));
    expect(client.state.status).toBe('anonymous');
    await Promise.resolve();
    expect(warnings).toEqual([expect.objectContaining({ name: 'StorageError' })]);
  });
});

describe('logout', () => {
  it('LO-02 sends a fresh state with every end-session request', async () => {
    const { client, signIn, navigations } = await setup();
    await signIn();
    await client.logout();
    const first = new URL(navigations.at(-1) as string).searchParams.get('state');
    await signIn();
    await client.logout();
    const second = new URL(navigations.at(-1) as string).searchParams.get('state');
    expect(first).toMatch(/^[\w-]{43}$/);
    expect(second).not.toBe(first);
  });
});
