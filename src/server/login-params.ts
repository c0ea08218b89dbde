// The authorization parameters of one login: the app's configured ones, and what a login link
// (`GET login?prompt=...`) may add. Configured values win; a link may only tighten them, so that a
// crafted link cannot downgrade the app's policy (MFA via acr_values, re-authentication via max_age or
// prompt). RFC 6749 §3.1: a parameter must not be sent more than once, so a link that repeats one is
// refused rather than guessed at.

/** The parameters a login link may carry (the rest are the server's own). */
export const LINK_PARAMS = ['prompt', 'login_hint', 'ui_locales', 'max_age', 'acr_values'] as const;
const MAX_VALUE_CHARS = 256;
/** OIDC Core §3.1.2.1 lists none, login, consent, select_account; Initiating User Registration adds create. */
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account', 'create']);
/** Ten years: any longer max_age is no policy anybody meant, and stays far inside Number's exact range. */
export const MAX_MAX_AGE_SECONDS = 315_360_000;

/** What the policy made of a login link: the parameters to send, or the link parameter it refused. */
export type LoginParams = { readonly params: Readonly<Record<string, string>> } | { readonly refused: string };

/**
 * Merges a login link's query into the configured parameters. Per parameter:
 * - configured `max_age`: a link may only lower it (OIDC Core §3.1.2.1; the ID token's `auth_time` is
 *   then checked against the lower value, §3.1.3.7 item 13); without one configured, a link may set it;
 * - configured `prompt`: a link may add `login`, `consent` or `select_account`, never `none` (which
 *   would turn a required interaction into a silent check) and never remove a configured value; a
 *   configured `none` stays as it is;
 * - configured (or required) `acr_values`: a link may narrow to a subset of `requiredAcr`, nothing else;
 * - `login_hint`, `ui_locales`: configured wins.
 * Empty values count as absent; a repeated, oversized or malformed value refuses the link.
 */
export function loginParams(
  configured: Readonly<Record<string, string>>,
  query: URLSearchParams,
  requiredAcr: readonly string[] | undefined,
): LoginParams {
  const link: Record<string, string> = {};
  for (const name of LINK_PARAMS) {
    const values = query.getAll(name);
    if (values.length > 1) return { refused: name };
    const value = values[0];
    if (value === undefined || value === '') continue;
    // No control characters, no leading or trailing space: nothing a provider could read two ways.
    if (value.length > MAX_VALUE_CHARS || !/^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/.test(value)) return { refused: name };
    link[name] = value;
  }
  const out: Record<string, string> = { ...configured };
  if (requiredAcr && out.acr_values === undefined) out.acr_values = requiredAcr.join(' ');

  if (link.max_age !== undefined) {
    const asked = maxAgeOf(link.max_age);
    if (asked === undefined) return { refused: 'max_age' };
    const pinned = out.max_age === undefined ? undefined : Number(out.max_age);
    if (pinned === undefined || asked < pinned) out.max_age = String(asked);
  }
  if (link.prompt !== undefined) {
    const asked = words(link.prompt);
    if (!asked || !asked.every((value) => PROMPTS.has(value)) || (asked.includes('none') && asked.length > 1)) return { refused: 'prompt' };
    const pinned = out.prompt === undefined ? undefined : out.prompt.split(' ').filter(Boolean);
    if (!pinned) out.prompt = asked.join(' ');
    else if (!pinned.includes('none')) {
      // Only interactions on top of the configured ones: never none, never fewer.
      const merged = new Set(pinned);
      for (const value of asked) if (value !== 'none' && value !== 'create') merged.add(value);
      out.prompt = [...merged].join(' ');
    }
  }
  if (link.acr_values !== undefined) {
    const asked = words(link.acr_values);
    if (!asked) return { refused: 'acr_values' };
    const allowed = configured.acr_values !== undefined ? configured.acr_values.split(' ').filter(Boolean) : requiredAcr;
    // Without an acr policy the link may ask for any; with one, only for a subset of it.
    if (!allowed) out.acr_values = asked.join(' ');
    else if (asked.every((value) => allowed.includes(value))) out.acr_values = asked.join(' ');
  }
  for (const name of ['login_hint', 'ui_locales'] as const) if (link[name] !== undefined && out[name] === undefined) out[name] = link[name];
  return { params: out };
}

/** A max_age in whole seconds (digits only, bounded), or undefined. */
export function maxAgeOf(value: string): number | undefined {
  if (!/^\d{1,10}$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds <= MAX_MAX_AGE_SECONDS ? seconds : undefined;
}

function words(value: string): string[] | undefined {
  const list = value.split(' ');
  return list.length > 0 && list.every((word) => word !== '') && new Set(list).size === list.length ? list : undefined;
}
