/** One challenge of a `WWW-Authenticate` header: the scheme (lower case) and its parameters (names lower case). */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
// One step of RFC 9110 §11.6.1's grammar: a parameter (`name=token` or `name="quoted"`), a bare token
// (a scheme, or a token68 after one), or the comma between list members.
const STEP = new RegExp(`[ \\t]*(?:(${TOKEN})[ \\t]*=[ \\t]*("(?:[^"\\\\]|\\\\.)*"|${TOKEN})|(${TOKEN}=*)|(,))`, 'y');

/**
 * The challenges of a `WWW-Authenticate` header value (RFC 9110 §11.6.1). Schemes compare
 * case-insensitively (§11.1), so `dpop error="use_dpop_nonce"` is DPoP's challenge (RFC 9449 §7.1).
 * Parsing stops at the first thing that is not a challenge; what came before is kept.
 */
export function parseChallenges(header: string | null): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  if (header === null || header.length > 8192) return challenges;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  let afterComma = true;
  STEP.lastIndex = 0;
  for (let match; STEP.lastIndex < header.length && (match = STEP.exec(header)); ) {
    const [, name, value, bare, comma] = match;
    if (comma) {
      afterComma = true;
    } else if (bare !== undefined) {
      // A token after a scheme and before any comma is its token68, which no challenge here uses.
      if (afterComma || !current) challenges.push((current = { scheme: bare.toLowerCase(), params: {} }));
      afterComma = false;
    } else if (current && name !== undefined && value !== undefined) {
      const key = name.toLowerCase();
      // The first value of a parameter counts (RFC 9110 §11.2: each name at most once).
      if (!(key in current.params)) current.params[key] = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
      afterComma = false;
    } else {
      break;
    }
  }
  return challenges;
}
