import { afterAll, describe, expect, it } from 'vitest';
import { parseRedirectUris } from '../../demo/redirect-uris.mjs';
import { startStack } from '../../demo/stack.mjs';

// "Point my app at the local provider": DEMO_REDIRECT_URIS registers the developer's own URLs with
// the demo provider's client, so its authorization requests and token calls are accepted.
describe('DEMO_REDIRECT_URIS', () => {
  it('parses a comma- or space-separated list of absolute http(s) URLs', () => {
    expect(parseRedirectUris(undefined)).toEqual([]);
    expect(parseRedirectUris(' http://localhost:5173/ ,https://app.example/cb  http://127.0.0.1:8080 ')).toEqual([
      'http://localhost:5173/',
      'https://app.example/cb',
      'http://127.0.0.1:8080/',
    ]);
  });

  it.each([
    ['/relative', /not an absolute URL/],
    ['localhost:5173', /must be http: or https:/],
    ['ftp://x.example/', /must be http: or https:/],
    ['http://localhost:5173/#cb', /fragment/],
  ])('refuses %s with a message that names the variable', (text, message) => {
    expect(() => parseRedirectUris(text)).toThrow(message);
    expect(() => parseRedirectUris(text)).toThrow(/^DEMO_REDIRECT_URIS: /);
  });

  describe('with the provider running', () => {
    const own = 'http://localhost:5173/callback';
    const started = startStack({ extraRedirectUris: [own] });
    afterAll(async () => (await started).close());

    const authorize = async (redirectUri: string, clientId?: string) => {
      const stack = await started;
      const metadata = await (await fetch(`${stack.provider.issuer}/.well-known/openid-configuration`)).json();
      const url = new URL(metadata.authorization_endpoint);
      const params = { client_id: clientId ?? stack.provider.clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 's'.repeat(43), code_challenge: 'c'.repeat(43), code_challenge_method: 'S256' };
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      return fetch(url, { redirect: 'manual' });
    };

    it("accepts the developer's redirect URI and allows its origin to call the token endpoint", async () => {
      const accepted = await authorize(own);
      expect(accepted.status).toBe(303);
      expect(accepted.headers.get('location')).toMatch(/\/interaction\//);
      // The token request itself (a form POST needs no preflight) answers with CORS for that origin only.
      const stack = await started;
      const tokenCall = (origin: string) =>
        fetch(`${stack.provider.issuer}/token`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: `grant_type=refresh_token&refresh_token=unknown&client_id=${stack.provider.clientId}`,
        });
      expect((await tokenCall('http://localhost:5173')).headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect((await tokenCall('http://localhost:5174')).headers.get('access-control-allow-origin')).toBeNull();
    });

    // What the README's troubleshooting table tells users they will see on the provider's error page.
    it('still refuses a redirect URI nobody registered (invalid_redirect_uri)', async () => {
      const refused = await authorize('http://localhost:5174/callback');
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('invalid_redirect_uri');
    });

    it('refuses an unknown client id (invalid_client)', async () => {
      const refused = await authorize(own, 'no-such-client');
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('invalid_client');
    });
  });
});
