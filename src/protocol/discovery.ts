import type * as oauth from 'oauth4webapi';
import { ConfigError, ProtocolError } from '../errors/errors.js';
import type { GuardedStorage } from '../session/guarded-storage.js';
import { requestProvider } from './http.js';
import { toAuthError } from '../errors/map-error.js';
import { secureUrl, type ResolvedOptions } from '../client/options.js';
import { parseStoredObject } from '../session/stored-json.js';

/** Provider metadata, validated. The oauth4webapi type stays internal. */
export type ProviderMetadata = oauth.AuthorizationServer;

// Metadata rarely changes; a day bounds how long a moved endpoint can be missed.
const CACHE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
// Every endpoint a secret or the user may be sent to. A `javascript:` authorization endpoint would
// run script in our origin on login; a `http:` token endpoint would leak the code and verifier.
// The first three are required (Discovery §3; jwks_uri although ID tokens are validated by TLS to the
// token endpoint, OIDC Core §3.1.3.7 step 6, and keys never fetched).
const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'end_session_endpoint', 'revocation_endpoint', 'userinfo_endpoint'] as const;
// Required lists of strings; response types must include "code", the only flow we run.
const LISTS = ['response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported'] as const;

/**
 * The provider's metadata: the `metadata` option when the app gives it, else the stored copy when it
 * is less than a day old, else `/.well-known/openid-configuration`. All three pass the same checks
 * (Discovery §3 required members, §4.3 issuer identical to ours, endpoints https:): stored values are
 * untrusted too, and a stored copy that fails them is refetched.
 */
export async function discover(options: ResolvedOptions, storage: GuardedStorage, cacheKey: string, useCache = true): Promise<ProviderMetadata> {
  const given = options.metadata;
  const operation = given ? 'the given document' : 'discovery at ' + options.issuer.host;
  // A copy at hand is checked on the spot: handing it to oauth4webapi as a Response would cost the
  // callback page a body read, which waits behind the page's own loading work (measured: up to 35 ms).
  let known: object | undefined = given;
  // Else the stored copy, if less than a day old (checked below like any other); unreadable storage
  // means a fetch.
  if (!given && useCache) {
    try {
      const entry = parseStoredObject(await storage.get(cacheKey), 65_536);
      const age = options.now() - (entry?.at as number);
      // Whatever it holds: a stored value that is not a document fails the checks below and is refetched.
      if (age >= 0 && age < CACHE_MAX_AGE_MS) known = entry?.metadata as object | undefined;
    } catch {}
  }
  let metadata = known as ProviderMetadata | undefined;
  try {
    if (!metadata) {
      // OpenID Connect Discovery §4: the well-known path goes after the issuer's own path.
      const url = new URL(options.issuer);
      url.pathname = (url.pathname + '/.well-known/openid-configuration').replace('//', '/');
      const response = await requestProvider(options, url.href);
      // §4.2: a 200 with a JSON object; anything else fails the checks below as a TypeError.
      metadata = response.status === 200 ? await response.json() : undefined;
    }
    checkMetadata(metadata as ProviderMetadata, options, operation);
  } catch (error) {
    const failure = toAuthError(error, operation, 'invalid_discovery');
    // The app's own document is a configuration mistake, never worth a request.
    if (given) throw new ConfigError('metadata', failure.message);
    if (known) return discover(options, storage, cacheKey, false);
    throw failure;
  }
  // The cache only saves a round trip; a full or blocked storage must not fail the flow.
  if (!known) await storage.set(cacheKey, JSON.stringify({ at: options.now(), metadata })).catch(() => undefined);
  return metadata as ProviderMetadata;
}

/**
 * Discovery §4.3: the issuer, as a URL, equals ours (oauth4webapi's rule). §3: the required members are
 * there with their types; the endpoints we may send a secret or the user to are https:. The session
 * server applies the same rules to the document it fetches.
 */
export function checkMetadata(metadata: ProviderMetadata, options: Pick<ResolvedOptions, 'issuer' | 'allowInsecureRequests_'>, operation: string): void {
  const fail = (name: string, code: 'invalid_discovery' | 'insecure_endpoint' = 'invalid_discovery') => new ProtocolError(code, operation + ': bad "' + name + '"');
  if (new URL(metadata.issuer).href !== options.issuer.href) throw fail('issuer');
  // The first three are required. http: only on loopback hosts, and only when the issuer itself is
  // such a development one.
  ENDPOINTS.forEach((name, i) => {
    const url = secureUrl(metadata[name]);
    if ((i < 3 || metadata[name] !== undefined) && !(options.allowInsecureRequests_ ? url : url?.protocol === 'https:')) throw fail(name, 'insecure_endpoint');
  });
  for (const name of LISTS) {
    const list = metadata[name];
    if (!Array.isArray(list) || !list.length || list.some((value) => typeof value !== 'string') || (name === 'response_types_supported' && !list.includes('code'))) {
      throw fail(name);
    }
  }
  const flag = 'authorization_response_iss_parameter_supported';
  if (![undefined, true, false].includes(metadata[flag])) throw fail(flag);
}
