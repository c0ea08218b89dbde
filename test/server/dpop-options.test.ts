// The session server's `dpop` option: checked when the server is created (a ConfigError naming `dpop`,
// or `tokenRoute` for the one combination that cannot work), and the provider's metadata checked at
// `GET login` before the browser leaves (the fake provider of test/unit/fake-provider.ts).
import { describe, expect, it, test } from 'vitest';
import { ConfigError, createSessionServer, type SessionServerOptions } from '../../src/server/index.js';
import { createFakeProvider } from '../unit/fake-provider.js';
import { APP, serverFor } from './fake-provider-server.js';

const valid: SessionServerOptions = {
  issuer: 'https://id.example',
  clientId: 'app',
  clientSecret: 'client-secret',
  appUrl: 'https://app.example',
  secret: 'x'.repeat(32),
};

const ec = (namedCurve: string, extractable = false) =>
  crypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, extractable, ['sign', 'verify']) as Promise<CryptoKeyPair>;
const rsa = (name: string, modulusLength: number, hash = 'SHA-256') =>
  crypto.subtle.generateKey({ name, modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash }, false, ['sign', 'verify']) as Promise<CryptoKeyPair>;
const es256 = await ec('P-256');

const hmac = (await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])) as CryptoKey;
const hiddenPublic = {
  privateKey: es256.privateKey,
  publicKey: await crypto.subtle.importKey('jwk', await crypto.subtle.exportKey('jwk', es256.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']),
};
/** A key-agreement pair: its private key cannot sign. */
const ecdh = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;

function configError(options: unknown): ConfigError {
  try {
    createSessionServer(options as SessionServerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('accepted');
}

const goodKeys: [string, CryptoKeyPair][] = [
  ['ES256, private key non-extractable', es256],
  ['ES384', await ec('P-384')],
  ['ES512', await ec('P-521')],
  ['PS256', await rsa('RSA-PSS', 2048)],
  ['RS384', await rsa('RSASSA-PKCS1-v1_5', 3072, 'SHA-384')],
  ['Ed25519', (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair],
];
const rsa1024 = await rsa('RSASSA-PKCS1-v1_5', 1024);
const rsaSha1 = await rsa('RSA-PSS', 2048, 'SHA-1');

describe('bad dpop options are refused, naming the option', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', 'yes', 'dpop'],
    ['null', null, 'dpop'],
    ['no keyPair', {}, 'dpop'],
    ['an unknown member (a typo)', { keyPair: es256, allowbearer: true }, 'dpop'],
    ['a non-boolean allowBearer', { keyPair: es256, allowBearer: 'yes' }, 'dpop'],
    ['a JWK instead of CryptoKeys', { keyPair: { privateKey: { kty: 'EC' }, publicKey: { kty: 'EC' } } }, 'dpop'],
    ['a symmetric key', { keyPair: { privateKey: hmac, publicKey: hmac } }, 'dpop'],
    ['the keys swapped', { keyPair: { privateKey: es256.publicKey, publicKey: es256.privateKey } }, 'dpop'],
    ['a public key that cannot be exported into the proof', { keyPair: hiddenPublic }, 'dpop'],
    ['a key-agreement (ECDH) pair', { keyPair: ecdh }, 'dpop'],
    ['keys of two algorithms', { keyPair: { privateKey: es256.privateKey, publicKey: goodKeys[3]?.[1].publicKey } }, 'dpop'],
    ['a 1024-bit RSA key', { keyPair: rsa1024 }, 'dpop'],
    ['an RSA key with SHA-1', { keyPair: rsaSha1 }, 'dpop'],
  ];
  test.each(cases)('%s', (_what, dpop, option) => {
    const error = configError({ ...valid, dpop });
    expect(error.option).toBe(option);
    expect(error.code).toBe('invalid_config');
  });

  it('refuses tokenRoute with DPoP: the browser could not use a token bound to the server key', () => {
    expect(configError({ ...valid, tokenRoute: true, dpop: { keyPair: es256 } }).option).toBe('tokenRoute');
  });
});

describe('good dpop options are accepted', () => {
  test.each(goodKeys)('%s', (_what, keyPair) => {
    expect(() => createSessionServer({ ...valid, dpop: { keyPair } })).not.toThrow();
    expect(() => createSessionServer({ ...valid, dpop: { keyPair, allowBearer: true } })).not.toThrow();
  });
});

describe('GET login checks that the provider takes the key', () => {
  async function login(supported: string[] | undefined, dpop: SessionServerOptions['dpop']) {
    const fake = await createFakeProvider({ clientId: 'app' });
    fake.hooks.discovery = async (normal) => fake.json({ ...((await normal().json()) as object), ...(supported ? { dpop_signing_alg_values_supported: supported } : {}) });
    return serverFor(fake, { dpop }).handle(new Request(`${APP}/auth/login?returnTo=/`));
  }

  it('sends dpop_jkt when the provider lists the algorithm', async () => {
    const response = await login(['ES256', 'PS256'], { keyPair: es256 });
    expect(response.status).toBe(303);
    const jkt = new URL(response.headers.get('location') as string).searchParams.get('dpop_jkt');
    const jwk = await crypto.subtle.exportKey('jwk', es256.publicKey);
    const thumbprint = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })))).toString('base64url');
    expect(jkt).toBe(thumbprint);
  });

  it.each([
    ['no dpop_signing_alg_values_supported', undefined],
    ['other algorithms only', ['PS256', 'EdDSA']],
  ])('fails (500, nothing set) with %s', async (_what, supported) => {
    const response = await login(supported, { keyPair: es256 });
    expect(response.status).toBe(500);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('goes ahead with allowBearer (the answer decides)', async () => {
    const response = await login(undefined, { keyPair: es256, allowBearer: true });
    expect(response.status).toBe(303);
  });

  it('sends no dpop_jkt without the option', async () => {
    const response = await login(['ES256'], undefined);
    expect(new URL(response.headers.get('location') as string).searchParams.has('dpop_jkt')).toBe(false);
  });
});
