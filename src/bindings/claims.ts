/**
 * Typed users for the framework bindings: the standard claims of OpenID Connect Core 1.0 §5.1 with
 * their spec types, and {@link standardClaims}, which makes those types true of whatever the
 * provider sent. Lives with the bindings (each entry bundles its own copy), not in the core: the
 * client's `User` stays `{ sub: string; [claim: string]: unknown }`.
 */
import type { User } from '../session/token-set.js';

/** The `address` claim (OIDC Core 1.0 §5.1.1): every member optional, every member a string. */
export interface AddressClaim {
  /** The full mailing address, formatted for display; may contain newlines. */
  readonly formatted?: string;
  /** Street address: house number, street name, P.O. box, ...; may contain newlines. */
  readonly street_address?: string;
  /** City or locality. */
  readonly locality?: string;
  /** State, province, prefecture or region. */
  readonly region?: string;
  /** Zip or postal code. */
  readonly postal_code?: string;
  /** Country name. */
  readonly country?: string;
}

/**
 * The standard claims (OIDC Core 1.0 §5.1), each with its spec type. `sub` is always there (the
 * client guarantees it); every other claim is optional, and present only with the right type once it
 * has been through {@link standardClaims} (as every binding's `user` has).
 */
export interface StandardClaims {
  /** Subject: the provider's identifier for the user, unique and never reassigned within the issuer. */
  readonly sub: string;
  /** Full name, in displayable form. */
  readonly name?: string;
  /** Given (first) name(s). */
  readonly given_name?: string;
  /** Surname(s) or last name(s). */
  readonly family_name?: string;
  /** Middle name(s). */
  readonly middle_name?: string;
  /** Casual name, which may or may not be the given name. */
  readonly nickname?: string;
  /** The name the user wants to be referred to by (not guaranteed unique, not an identifier: use `sub`). */
  readonly preferred_username?: string;
  /** URL of the user's profile page. */
  readonly profile?: string;
  /** URL of the user's profile picture. */
  readonly picture?: string;
  /** URL of the user's web page or blog. */
  readonly website?: string;
  /** Preferred e-mail address (not guaranteed unique, not an identifier: use `sub`). */
  readonly email?: string;
  /** Whether the provider verified `email`. */
  readonly email_verified?: boolean;
  /** Gender: `female`, `male`, or another value. */
  readonly gender?: string;
  /** Birthday, ISO 8601 `YYYY-MM-DD` (or `YYYY`, or `0000-MM-DD` when the year is withheld). */
  readonly birthdate?: string;
  /** Time zone from the IANA database, e.g. `Europe/Paris`. */
  readonly zoneinfo?: string;
  /** Locale, a BCP 47 language tag such as `en-US` (some providers send `en_US`). */
  readonly locale?: string;
  /** Preferred telephone number, E.164 recommended, e.g. `+1 (425) 555-1212`. */
  readonly phone_number?: string;
  /** Whether the provider verified `phone_number`. */
  readonly phone_number_verified?: boolean;
  /** Preferred postal address: only its string members (see {@link standardClaims}). */
  readonly address?: AddressClaim;
  /** When the user's information was last updated, in seconds since the Unix epoch. */
  readonly updated_at?: number;
}

/**
 * A signed-in user as the bindings show it: the {@link StandardClaims}, the app's own claims
 * `Custom`, and every other claim as `unknown` (narrow it before use).
 *
 * `Custom` is the app's assertion about its provider, not something the binding checks: its claims
 * pass through as the provider sent them. A member of `Custom` named like a standard claim narrows
 * that claim (`{ email: string }` says the provider always sends one); one of another type makes it
 * `never`, since the binding leaves out a standard claim of the wrong type.
 *
 * @example
 * ```ts
 * type MyUser = UserClaims<{ tenant: string; roles?: readonly string[] }>;
 * ```
 */
export type UserClaims<Custom extends object = Record<never, never>> = StandardClaims & Custom & { readonly [claim: string]: unknown };

/** The type of each standard claim (`address` is cleaned further). */
const TYPES: Record<string, string> = { email_verified: 'boolean', phone_number_verified: 'boolean', updated_at: 'number', address: 'object' };
for (const name of 'name given_name family_name middle_name nickname preferred_username profile picture website email gender birthdate zoneinfo locale phone_number'.split(' ')) {
  TYPES[name] = 'string';
}

const cleaned = new WeakMap<object, UserClaims>();

/**
 * The user's claims with the {@link StandardClaims} types made true: a frozen shallow copy of
 * `user` without each standard claim whose value has the wrong type (`name: 42`, `email: null`,
 * `email_verified: "true"`, `updated_at: "1700000000"` are left out, as if the provider had not sent
 * them). `address` is cleaned rather than dropped: an object (not `null`, not an array) becomes a
 * frozen copy of its members that are strings (so `{ country: "FR", region: null }` keeps `country`,
 * and `{ country: 1 }` gives `{}`); anything else is left out. `sub` and every other claim are
 * passed through unchanged.
 *
 * Pure, and memoised per input object: the same `user` object (so the same state) always gives the
 * same result, which keeps framework re-renders and identity checks (`===`, `Object.is`) quiet. A
 * result passed in again is returned as is.
 *
 * @typeParam Custom - The app's own claims (see {@link UserClaims}); not checked.
 */
export function standardClaims<Custom extends object = Record<never, never>>(user: User): UserClaims<Custom> {
  let result = cleaned.get(user);
  if (!result) {
    const copy: Record<string, unknown> = { ...user };
    for (const name in TYPES) if (typeof copy[name] !== TYPES[name]) delete copy[name];
    const address = copy.address as object | null | undefined;
    if (address === null || Array.isArray(address)) delete copy.address;
    else if (address) copy.address = Object.freeze(Object.fromEntries(Object.entries(address).filter(([, value]) => typeof value === 'string')));
    result = Object.freeze(copy) as UserClaims;
    cleaned.set(user, result);
    cleaned.set(result, result);
  }
  return result as UserClaims<Custom>;
}
