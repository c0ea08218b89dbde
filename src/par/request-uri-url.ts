import type { ProviderMetadata } from '../protocol/discovery.js';

/**
 * The authorization URL of a pushed request (RFC 9126 §4): the authorization endpoint, with whatever
 * query it has of its own (RFC 6749 §3.1: kept), plus `client_id` and `request_uri` and nothing else;
 * every other parameter reached the provider in the push.
 */
export function requestUriUrl(metadata: ProviderMetadata, clientId: string, requestUri: string): string {
  // Discovery already checked that this is an https: (or loopback development) URL.
  const url = new URL(metadata.authorization_endpoint as string);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('request_uri', requestUri);
  return url.href;
}
