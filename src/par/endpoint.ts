import { ConfigError, ProtocolError } from '../errors/errors.js';
import { secureUrl, type ResolvedOptions } from '../client/options.js';
import type { ProviderMetadata } from '../protocol/discovery.js';

const NAME = 'pushed_authorization_request_endpoint';

/**
 * Where this login's parameters are pushed, or `undefined` when it is not pushed: `always` pushes every
 * login, else only a provider whose metadata requires it does (RFC 9126 §5,
 * `require_pushed_authorization_requests`). The endpoint obeys discovery's rule for every endpoint a
 * secret may be sent to (src/protocol/discovery.ts): https:, or http: on a loopback host when the
 * issuer itself is such a development one. Discovery does not check this member, so it is checked here.
 * The session server applies the same rule; `option` names its setting in the {@link ConfigError}.
 */
export function parEndpoint(
  always: boolean,
  options: Pick<ResolvedOptions, 'issuer' | 'allowInsecureRequests_'>,
  metadata: ProviderMetadata,
  option = 'par',
): URL | undefined {
  const required = metadata.require_pushed_authorization_requests === true;
  if (!always && !required) return undefined;
  const value = metadata[NAME];
  const bad = 'discovery at ' + options.issuer.host + ': bad "' + NAME + '"';
  if (value == null) {
    // A provider that requires pushing and has nowhere to push to published a broken document; one
    // that merely lacks the endpoint cannot serve the app's choice to push.
    throw required ? new ProtocolError('invalid_discovery', bad) : new ConfigError(option, 'the provider has no ' + NAME);
  }
  const url = secureUrl(value);
  if (!url || !(url.protocol === 'https:' || options.allowInsecureRequests_)) throw new ProtocolError('insecure_endpoint', bad);
  return url;
}
