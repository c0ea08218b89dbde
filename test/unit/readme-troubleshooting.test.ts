import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAuthError } from '../../src/index.js';
import { setup } from './harness.js';

// The README's troubleshooting table names error codes and message fragments users will search for:
// each must be one the SDK really produces, or the table sends people looking for the wrong thing.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const table = readme.slice(readme.indexOf('### Troubleshooting'), readme.indexOf('## Tabs and storage'));
const errorsSource = readFileSync(new URL('../../src/errors/errors.ts', import.meta.url), 'utf8');
const knownCodes = new Set([...errorsSource.slice(errorsSource.indexOf('export type AuthErrorCode')).matchAll(/\| '([a-z_]+)'/g)].map((m) => m[1]));
const ERROR_CLASS = /`(ProtocolError|NetworkError|OAuthError|ConfigError|StorageError|LoginRequiredError)`/;

/** The first cell of every row that names one of the SDK's errors. */
const sdkErrorCells = table
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| You see'))
  .map((line) => line.split('|')[1] as string)
  .filter((cell) => ERROR_CLASS.test(cell));

describe("the README's troubleshooting table", () => {
  it('names only codes the SDK has', () => {
    expect(sdkErrorCells.length).toBeGreaterThanOrEqual(5);
    for (const cell of sdkErrorCells) {
      const codes = [...cell.matchAll(/`([a-z]+_[a-z_]+)`/g)].map((m) => m[1]);
      expect(codes.length, cell).toBeGreaterThan(0);
      for (const code of codes) expect(knownCodes, `${code} in: ${cell}`).toContain(code);
    }
  });

  it('gives the messages a wrong issuer really produces', async () => {
    expect(table).toContain('`invalid_discovery`, message `unexpected response` or `bad "issuer"`');
    // A tenant segment too many: nothing is served at that discovery URL.
    const wrongPath = await (await setup({}, { issuer: 'https://op.test/other-tenant' })).client.login().catch((e: unknown) => e);
    expect(wrongPath).toMatchObject({ name: 'ProtocolError', code: 'invalid_discovery' });
    expect((wrongPath as Error).message).toContain('unexpected response');
    // A document that states another issuer than the configured one (a v1 against a v2.0 endpoint, say).
    const world = await setup();
    const restated: typeof fetch = async (input, init) => {
      const response = await world.provider.fetch(input, init);
      if (!String(input instanceof Request ? input.url : input).endsWith('/.well-known/openid-configuration')) return response;
      return Response.json({ ...(await response.json()), issuer: 'https://op.test/v2.0' });
    };
    const wrongIssuer = await world.makeClient({ fetch: restated }).login().catch((e: unknown) => e);
    expect(isAuthError(wrongIssuer)).toBe(true);
    expect(wrongIssuer).toMatchObject({ name: 'ProtocolError', code: 'invalid_discovery' });
    expect((wrongIssuer as Error).message).toContain('bad "issuer"');
  });

  it('gives the message an unreachable provider really produces', async () => {
    expect(table).toContain('`network_error` from `login()`, message `request to <host> failed`');
    const { client } = await setup({}, { fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    const error = await client.login().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NetworkError', code: 'network_error' });
    expect((error as Error).message).toBe('request to op.test failed');
  });
});

describe('the row for CORS at the token endpoint', () => {
  it('is reproduced in real browsers: test/e2e/readme-cors-token-endpoint.spec.ts', () => {
    const row = '| `NetworkError` `network_error` at the code exchange or a refresh, and the console says CORS |';
    expect(table).toContain(row);
    // The spec withholds the token endpoint's CORS header at oidc-provider and checks this very row.
    expect(readFileSync(new URL('../e2e/readme-cors-token-endpoint.spec.ts', import.meta.url), 'utf8')).toContain(`'${row}'`);
  });
});
