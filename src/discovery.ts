import * as oauth from 'oauth4webapi';
import { ConfigError, ProtocolError } from './errors.js';
import type { GuardedStorage } from './guarded-storage.js';
import { requestProvider } from './http.js';
import { toAuthError } from './map-error.js';
import { isLoopbackHost, type ResolvedOptions } from './options.js';
import { parseStoredObject } from './stored-json.js';

/** Provider metadata, validated. The oauth4webapi type stays internal. */
export type ProviderMetadata = oauth.AuthorizationServer;

// Metadata rarely changes; a day bounds how long a moved endpoint can be missed.
const CACHE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
// Every endpoint a secret or the user may be sent to. A `javascript:` authorization endpoint would
// run script in our origin on login; a `http:` token endpoint would leak the code and verifier.
const ENDPOINTS = [
  'authorization_endpoint',
  'token_endpoint',
  'end_session_endpoint',
  'revocation_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
] as const;

/**
 * The provider's metadata: the `metadata` option when the app gives it, else the stored copy when it
 * is less than a day old, else `/.well-known/openid-configuration` through oauth4webapi. All three
 * pass the same checks (issuer identical to ours, endpoints https:): stored values are untrusted
 * too, and a stored copy that fails them is refetched.
 */
export async function discover(options: ResolvedOptions, storage: GuardedStorage, cacheKey: string, useCache = true): Promise<ProviderMetadata> {
  const given = options.metadata;
  const operation = given ? 'the given document' : `discovery at ${options.issuer.host}`;
  // A copy at hand is checked on the spot: handing it to oauth4webapi as a Response would cost the
  // callback page a body read, which waits behind the page's own loading work (measured: up to 35 ms).
  const known = given ?? (useCache ? await readCache(options, storage, cacheKey) : undefined);
  let metadata: ProviderMetadata;
  try {
    if (known) {
      // oauth4webapi's rule for a fetched document: the issuer, as a URL, equals ours.
      if (new URL(known.issuer as string).href !== options.issuer.href) throw new ProtocolError('invalid_discovery', `${operation}: another issuer`);
      metadata = known as unknown as ProviderMetadata;
    } else {
      // OpenID Connect Discovery §4: the well-known path goes after the issuer's own path.
      const url = new URL(options.issuer.href);
      url.pathname = `${url.pathname}/.well-known/openid-configuration`.replace('//', '/');
      metadata = await oauth.processDiscoveryResponse(options.issuer, await requestProvider(options, url.href));
    }
    checkMetadata(metadata, options, operation);
  } catch (error) {
    const failure = toAuthError(error, operation, 'invalid_discovery');
    // The app's own document is a configuration mistake, never worth a request.
    if (given) throw new ConfigError('metadata', failure.message);
    if (known) return discover(options, storage, cacheKey, false);
    throw failure;
  }
  // The cache only saves a round trip; a full or blocked storage must not fail the flow.
  if (!known) await storage.set(cacheKey, JSON.stringify({ at: options.now(), metadata })).catch(() => undefined);
  return metadata;
}

/** The stored metadata, if less than a day old (not yet checked). */
async function readCache(options: ResolvedOptions, storage: GuardedStorage, cacheKey: string): Promise<Record<string, unknown> | undefined> {
  try {
    const entry = parseStoredObject(await storage.get(cacheKey), 65_536);
    const age = options.now() - (entry?.at as number);
    const metadata = entry?.metadata;
    return age >= 0 && age < CACHE_MAX_AGE_MS && typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : undefined;
  } catch {
    // Unreadable storage: fetch instead.
    return undefined;
  }
}

function checkMetadata(metadata: ProviderMetadata, options: ResolvedOptions, operation: string): void {
  for (const name of ENDPOINTS) {
    const value = metadata[name];
    if (value === undefined && name !== 'authorization_endpoint' && name !== 'token_endpoint') continue;
    if (!isAllowedEndpoint(value, options.allowInsecureRequests)) {
      throw new ProtocolError('insecure_endpoint', `${operation}: "${name}" must be an https: URL`);
    }
  }
  const issFlag = metadata.authorization_response_iss_parameter_supported;
  if (issFlag !== undefined && typeof issFlag !== 'boolean') {
    throw new ProtocolError('invalid_discovery', `${operation}: bad iss flag`);
  }
}

function isAllowedEndpoint(value: unknown, allowLoopbackHttp: boolean): boolean {
  if (typeof value !== 'string') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname);
}
