// Typed users: StandardClaims / UserClaims (types, checked by `tsc -p tsconfig.test.json`) and
// standardClaims(), which makes those types true of whatever a provider sent.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { standardClaims, type AddressClaim, type StandardClaims, type UserClaims } from '../../src/bindings/claims.js';
import type { User } from '../../src/session/token-set.js';

const STRINGS = [
  'name',
  'given_name',
  'family_name',
  'middle_name',
  'nickname',
  'preferred_username',
  'profile',
  'picture',
  'website',
  'email',
  'gender',
  'birthdate',
  'zoneinfo',
  'locale',
  'phone_number',
] as const;
const BOOLEANS = ['email_verified', 'phone_number_verified'] as const;

/** Every §5.1 claim, each with a value of its spec type. */
const GOOD = {
  sub: '248289761001',
  name: 'Jane Doe',
  given_name: 'Jane',
  family_name: 'Doe',
  middle_name: 'Q.',
  nickname: 'JD',
  preferred_username: 'j.doe',
  profile: 'https://example.com/janedoe',
  picture: 'https://example.com/janedoe/me.jpg',
  website: 'https://janedoe.example',
  email: 'janedoe@example.com',
  email_verified: false,
  gender: 'female',
  birthdate: '0000-10-31',
  zoneinfo: 'Europe/Paris',
  locale: 'fr-FR',
  phone_number: '+1 (425) 555-1212',
  phone_number_verified: true,
  address: { formatted: '1 Main St\nAnytown', street_address: '1 Main St', locality: 'Anytown', region: 'AS', postal_code: '12345', country: 'US' },
  updated_at: 1_311_280_970,
} satisfies Required<StandardClaims>;

describe('types', () => {
  it('types the standard claims with their spec types', () => {
    const user = standardClaims(GOOD);
    expectTypeOf(user.sub).toEqualTypeOf<string>();
    expectTypeOf(user.name).toEqualTypeOf<string | undefined>();
    expectTypeOf(user.email).toEqualTypeOf<string | undefined>();
    expectTypeOf(user.phone_number).toEqualTypeOf<string | undefined>();
    expectTypeOf(user.email_verified).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(user.phone_number_verified).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(user.updated_at).toEqualTypeOf<number | undefined>();
    expectTypeOf(user.address).toEqualTypeOf<AddressClaim | undefined>();
    expectTypeOf(user.address?.country).toEqualTypeOf<string | undefined>();
    expectTypeOf<keyof StandardClaims>().toEqualTypeOf<'sub' | (typeof STRINGS)[number] | (typeof BOOLEANS)[number] | 'address' | 'updated_at'>();
    expectTypeOf<keyof AddressClaim>().toEqualTypeOf<'formatted' | 'street_address' | 'locality' | 'region' | 'postal_code' | 'country'>();
  });

  it('adds the custom claims of the type parameter, and leaves any other claim unknown', () => {
    const user = standardClaims<{ tenant: string; roles?: readonly string[] }>({ sub: 'a', tenant: 't' });
    expectTypeOf(user.tenant).toEqualTypeOf<string>();
    expectTypeOf(user.roles).toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf(user.name).toEqualTypeOf<string | undefined>();
    expectTypeOf(user['https://example.com/claims/groups']).toEqualTypeOf<unknown>();
    expectTypeOf(standardClaims(GOOD).tenant).toEqualTypeOf<unknown>();
    // The default: no custom claims; a UserClaims is still the client's User.
    expectTypeOf<UserClaims>().toEqualTypeOf<UserClaims<Record<never, never>>>();
    expectTypeOf<UserClaims<{ tenant: string }>>().toExtend<User>();
    expectTypeOf<UserClaims<{ tenant: string }>>().toExtend<UserClaims>();
    // Custom may narrow a standard claim (an assertion about the provider)...
    expectTypeOf<UserClaims<{ email: string }>['email']>().toEqualTypeOf<string>();
    // ...but not retype it: the binding would have left it out.
    expectTypeOf<UserClaims<{ name: number }>['name']>().toEqualTypeOf<never>();
    // @ts-expect-error a custom claim set is an object type
    expectTypeOf<UserClaims<string>>();
  });
});

describe('standardClaims()', () => {
  it('keeps every standard claim of the right type, and the user as is otherwise', () => {
    const user = standardClaims(GOOD);
    expect(user).toEqual(GOOD);
    expect(user).not.toBe(GOOD);
    expect(Object.isFrozen(user)).toBe(true);
    expect(Object.isFrozen(user.address)).toBe(true);
  });

  const ANY_OBJECT = [null, [], ['x'], {}, { value: 'x' }];
  const cases: Array<[string, unknown[]]> = [
    ...STRINGS.map((claim): [string, unknown[]] => [claim, [42, 0, true, false, ...ANY_OBJECT]]),
    ...BOOLEANS.map((claim): [string, unknown[]] => [claim, ['true', 'false', '', 1, 0, ...ANY_OBJECT]]),
    ['updated_at', ['1311280970', '', true, ...ANY_OBJECT]],
    ['address', ['1 Main St', '', 42, true, null, [], [{ country: 'US' }], ['US']]],
  ];
  it.each(cases)('leaves out %s of the wrong type', (claim, values) => {
    for (const value of values) {
      const input: User = { ...GOOD, [claim]: value };
      const user = standardClaims(input);
      expect(user, `${claim}: ${JSON.stringify(value)}`).not.toHaveProperty(claim);
      expect(user).toEqual(Object.fromEntries(Object.entries(GOOD).filter(([key]) => key !== claim)));
      // The input is not touched.
      expect(input[claim]).toBe(value);
    }
  });

  it('cleans an address object down to its string members', () => {
    const address = { country: 'FR', region: null, locality: 42, postal_code: ['75001'], street_address: { line: 'x' }, formatted: 'Paris', extension: 'kept' };
    const user = standardClaims({ sub: 'a', address });
    expect(user.address).toEqual({ country: 'FR', formatted: 'Paris', extension: 'kept' });
    expect(Object.isFrozen(user.address)).toBe(true);
    expect(address.region).toBe(null);
    expect(standardClaims({ sub: 'a', address: { country: 1 } }).address).toEqual({});
    expect(standardClaims({ sub: 'a', address: GOOD.address }).address).not.toBe(GOOD.address);
  });

  it('leaves out what is missing, and passes sub and every custom claim through untouched', () => {
    const roles = ['admin'];
    const nested = { id: 7 };
    const input: User = { sub: 'ada', name: 42, tenant: 3, roles, org: nested, 'https://example.com/groups': null, email: 'ada@example.com' };
    const user = standardClaims<{ tenant: number }>(input);
    expect(user).toEqual({ sub: 'ada', tenant: 3, roles, org: nested, 'https://example.com/groups': null, email: 'ada@example.com' });
    expect(user.roles).toBe(roles);
    expect(user.org).toBe(nested);
    expect(standardClaims({ sub: 'x' })).toEqual({ sub: 'x' });
    expect(Object.keys(standardClaims({ sub: 'x' }))).toEqual(['sub']);
  });

  it('is memoised per input object: the same user gives the same object, its result gives itself', () => {
    const input: User = { sub: 'ada', name: 'Ada', age: 36 };
    const user = standardClaims(input);
    expect(standardClaims(input)).toBe(user);
    expect(standardClaims(user)).toBe(user);
    const equal = standardClaims({ ...input });
    expect(equal).toEqual(user);
    expect(equal).not.toBe(user);
  });
});
