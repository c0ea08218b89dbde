import * as oauth from 'oauth4webapi';
import { ProtocolError } from './errors.js';
import type { GuardedStorage } from './guarded-storage.js';
import { requestProvider } from './http.js';
import { toAuthError } from './map-error.js';
import { isLoopbackHost, type ResolvedOptions } from './options.js';

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

interface CachedMetadata {
  fetchedAt: number;
  metadata: unknown;
}

/**
 * The provider's metadata: from the stored copy when it is recent and still valid, otherwise from
 * `/.well-known/openid-configuration`. Either way it passes the same checks before use.
 */
export async function discover(options: ResolvedOptions, storage: GuardedStorage, cacheKey: string): Promise<ProviderMetadata> {
  const cached = await readCache(options, storage, cacheKey);
  if (cached) return cached;
  const operation = `discovery at ${options.issuer.host}`;
  let metadata: ProviderMetadata;
  try {
    // OpenID Connect Discovery §4: the well-known path goes after the issuer's own path.
    const url = new URL(options.issuer.href);
    url.pathname = `${url.pathname}/.well-known/openid-configuration`.replace('//', '/');
    metadata = await oauth.processDiscoveryResponse(options.issuer, await requestProvider(options, url.href));
  } catch (error) {
    throw toAuthError(error, operation, 'invalid_discovery');
  }
  checkMetadata(metadata, options, operation);
  const entry: CachedMetadata = { fetchedAt: options.now(), metadata };
  // The cache only saves a round trip; a full or blocked storage must not fail the flow.
  await storage.set(cacheKey, JSON.stringify(entry)).catch(() => undefined);
  return metadata;
}

async function readCache(options: ResolvedOptions, storage: GuardedStorage, cacheKey: string): Promise<ProviderMetadata | undefined> {
  try {
    const raw = await storage.get(cacheKey);
    if (raw === undefined) return undefined;
    const entry = JSON.parse(raw) as CachedMetadata;
    const age = options.now() - entry.fetchedAt;
    if (!(age >= 0 && age < CACHE_MAX_AGE_MS)) return undefined;
    // Stored values are untrusted: replay them through the same validation as a network response.
    const response = new Response(JSON.stringify(entry.metadata), { headers: { 'content-type': 'application/json' } });
    const metadata = await oauth.processDiscoveryResponse(options.issuer, response);
    checkMetadata(metadata, options, 'cached discovery');
    return metadata;
  } catch {
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
