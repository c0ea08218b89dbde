// src/server/seal.ts: AES-256-GCM sealing with per-purpose keys, secret rotation, session ids.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkSecrets, createKeyedHash, createSealer, isSessionId, newSessionId } from '../../src/server/seal.js';

const NEW = 'new-secret-new-secret-new-secret-0001';
const OLD = 'old-secret-old-secret-old-secret-0002';

/** Flips one bit of the sealed bytes (IV, ciphertext or tag). */
function flipBit(sealed: string, bit: number): string {
  const bytes = Buffer.from(sealed, 'base64url');
  const at = bit % (bytes.length * 8);
  bytes[at >> 3] = (bytes[at >> 3] as number) ^ (1 << (at & 7));
  return bytes.toString('base64url');
}

describe('seal and unseal', () => {
  const sealer = createSealer([NEW], 'tokens');

  test('round trip, including non-ASCII and empty text; base64url out; a fresh IV each time', async () => {
    for (const text of ['hello', '', 'ünïcødé 😀 セッション', JSON.stringify({ accessToken: 'a'.repeat(2000) })]) {
      const sealed = await sealer.seal(text);
      expect(sealed).toMatch(/^[\w-]+$/);
      expect(await sealer.unseal(sealed)).toBe(text);
    }
    expect(await sealer.seal('same')).not.toBe(await sealer.seal('same'));
  });

  test('property: any text round-trips, and any single flipped bit makes it unopenable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.nat(), async (text, bit) => {
        const sealed = await sealer.seal(text);
        expect(await sealer.unseal(sealed)).toBe(text);
        expect(await sealer.unseal(flipBit(sealed, bit))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  test('truncated, extended, empty, non-base64url and too short inputs are undefined, not errors', async () => {
    const sealed = await sealer.seal('secret text');
    for (const input of [sealed.slice(0, -1), sealed.slice(0, -4), sealed.slice(1), `${sealed}AAAA`, '', 'A', 'AAAAA', 'A'.repeat(37), `${sealed.slice(0, -1)}+`, `${sealed}=`, `${sealed} `, 'ü'.repeat(40)]) {
      await expect(sealer.unseal(input), JSON.stringify(input)).resolves.toBeUndefined();
    }
  });

  test('a key per purpose: sealed for one purpose never opens as another', async () => {
    const sealed = await createSealer([NEW], 'tokens').seal('x');
    expect(await createSealer([NEW], 'session-cookie').unseal(sealed)).toBeUndefined();
    expect(await createSealer([NEW], 'tokens').unseal(sealed)).toBe('x');
  });

  test('rotation: the first secret seals, every secret opens', async () => {
    const byOld = await createSealer([OLD], 'tokens').seal('from before the rotation');
    const rotated = createSealer([NEW, OLD], 'tokens');
    expect(await rotated.unseal(byOld)).toBe('from before the rotation');
    const byRotated = await rotated.seal('after');
    expect(await createSealer([NEW], 'tokens').unseal(byRotated)).toBe('after');
    expect(await createSealer([OLD], 'tokens').unseal(byRotated)).toBeUndefined();
    // Once the old secret is dropped, what it sealed no longer opens.
    expect(await createSealer([NEW], 'tokens').unseal(byOld)).toBeUndefined();
  });
});

// AES-GCM additional authenticated data (NIST SP 800-38D §5.2.1): a value sealed for one store key opens
// only for that key, so entries cannot be swapped between sessions (issue 12 §1). Siblings: another
// context, no context, the opened-value cache (a hit must not skip the binding), another purpose.
describe('binding a sealed value to its context', () => {
  test('opens only with the context it was sealed for', async () => {
    const sealer = createSealer([NEW], 'tokens');
    const sealed = await sealer.seal('x', 't:AAAA');
    expect(await sealer.unseal(sealed, 't:AAAA')).toBe('x');
    expect(await sealer.unseal(sealed, 't:BBBB')).toBeUndefined();
    expect(await sealer.unseal(sealed, 's:AAAA')).toBeUndefined();
    expect(await sealer.unseal(sealed)).toBeUndefined();
    expect(await sealer.unseal(await sealer.seal('y'), 't:AAAA')).toBeUndefined();
    expect(await createSealer([NEW], 'session').unseal(sealed, 't:AAAA')).toBeUndefined();
  });

  test('the cache of opened values never opens a value moved to another context', async () => {
    const sealer = createSealer([NEW], 'tokens');
    const sealed = await sealer.seal('cached', 'k1');
    expect(await sealer.unseal(sealed, 'k1')).toBe('cached');
    expect(await sealer.unseal(sealed, 'k2')).toBeUndefined();
    expect(await sealer.unseal(sealed)).toBeUndefined();
  });

  test('rotation keeps working with a context', async () => {
    const byOld = await createSealer([OLD], 'tokens').seal('old', 'k');
    expect(await createSealer([NEW, OLD], 'tokens').unseal(byOld, 'k')).toBe('old');
    expect(await createSealer([NEW, OLD], 'tokens').unseal(byOld, 'other')).toBeUndefined();
  });
});

describe('createKeyedHash (store keys)', () => {
  test('one hash per secret, newest first; deterministic; 43 base64url characters; none contains the input', async () => {
    const id = newSessionId();
    const [a, b] = await createKeyedHash([NEW, OLD], 'store-key')(id);
    expect(a).toMatch(/^[\w-]{43}$/);
    expect(b).toMatch(/^[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await createKeyedHash([NEW], 'store-key')(id)).toEqual([a]);
    expect(await createKeyedHash([OLD], 'store-key')(id)).toEqual([b]);
    for (const hash of [a, b]) expect(hash).not.toContain(id.slice(0, 8));
  });

  test('a key per purpose, and another id hashes elsewhere', async () => {
    const id = newSessionId();
    const [forStore] = await createKeyedHash([NEW], 'store-key')(id);
    expect(await createKeyedHash([NEW], 'store-owner')(id)).not.toEqual([forStore]);
    expect(await createKeyedHash([NEW], 'store-key')(newSessionId())).not.toEqual([forStore]);
  });
});

describe('checkSecrets', () => {
  test('accepts one secret or a list of 32+ characters', () => {
    expect(checkSecrets('s'.repeat(32))).toEqual(['s'.repeat(32)]);
    expect(checkSecrets([NEW, OLD])).toEqual([NEW, OLD]);
  });
  test.each([['s'.repeat(31)], [[]], [[NEW, 'short']], [undefined], [42], [[NEW, 42]]])('refuses %j', (value) => {
    expect(() => checkSecrets(value)).toThrow(expect.objectContaining({ name: 'ConfigError', option: 'secret' }));
  });
});

describe('session ids', () => {
  test('43 base64url characters (32 random bytes), never repeated', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(isSessionId(id)).toBe(true);
      expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    }
  });
  test('isSessionId refuses anything else', () => {
    for (const value of ['', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`, `${'A'.repeat(42)}/`, `${'A'.repeat(42)}é`, ' '.repeat(43)]) {
      expect(isSessionId(value), value).toBe(false);
    }
  });
});
