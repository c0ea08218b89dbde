// Session-server mode reads `?auth_error=` from the address bar, where any link can put any text. Only
// the alphabet a session server sends (src/errors/auth-error-codes.ts: RFC 6749 §4.1.2.1 and §5.2, OpenID
// Connect Core 1.0 §3.1.2.6, unmet_authentication_requirements 1.0, and our own codes) comes through
// as `OAuthError.error`; anything else is the one generic `server_error`; the description never comes
// from the URL; the address bar is cleaned of every `auth_error`. Also: the logout target, which comes
// from the provider's metadata, is navigated to only when it is an http(s) URL.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authErrorCode } from '../../src/errors/auth-error-codes.js';
import { OAuthError, ProtocolError } from '../../src/index.js';
import { SessionServerClient } from '../../src/client/session-server-client.js';

const ALPHABET = [
  'invalid_request', 'unauthorized_client', 'access_denied', 'unsupported_response_type', 'invalid_scope', 'server_error', 'temporarily_unavailable',
  'invalid_client', 'invalid_grant', 'unsupported_grant_type',
  'interaction_required', 'login_required', 'account_selection_required', 'consent_required', 'invalid_request_uri', 'invalid_request_object',
  'request_not_supported', 'request_uri_not_supported', 'registration_not_supported', 'unmet_authentication_requirements',
  'session_too_large', 'transaction_not_found', 'transaction_expired', 'invalid_config', 'oauth_error', 'network_error', 'timeout',
  'storage_unavailable', 'state_missing', 'state_mismatch', 'issuer_mismatch', 'invalid_callback', 'invalid_discovery', 'insecure_endpoint',
  'invalid_token_response', 'invalid_id_token', 'unexpected_response',
];
const FORGED = [
  'evil',
  '',
  'access_denied ',
  ' access_denied',
  'ACCESS_DENIED',
  'access_denied\u0000',
  'access_denied,login_required',
  'Your account is locked: call +1 555 0100',
  '<img src=x onerror=alert(1)>',
  'x'.repeat(5000),
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];

function client(fetchImpl: typeof fetch = async () => new Response(null, { status: 401 })) {
  const navigations: string[] = [];
  return { client: new SessionServerClient({ sessionServer: '/auth', fetch: fetchImpl, navigate: (url) => void navigations.push(url) }), navigations };
}

async function errorOf(url: string): Promise<OAuthError> {
  const error = await client().client.handleCallback(url).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

afterEach(() => vi.unstubAllGlobals());

describe('handleCallback with ?auth_error=', () => {
  it.each(ALPHABET)('passes the server code %s through', async (code) => {
    expect(authErrorCode(code)).toBe(code);
    const error = await errorOf(`https://rp.test/home?auth_error=${code}`);
    expect(error.error).toBe(code);
    expect(error.description).toBeUndefined();
  });

  it.each(FORGED)('turns %j into server_error, with no description and none of its text in the message', async (text) => {
    const error = await errorOf(`https://rp.test/home?${new URLSearchParams({ auth_error: text, auth_error_description: 'pwned', error_description: 'pwned' })}`);
    expect(error.error).toBe('server_error');
    expect(error.description).toBeUndefined();
    if (text.length > 3) expect(error.message).not.toContain(text);
    expect(error.message).not.toContain('pwned');
  });

  it('the first of two auth_error values decides, and it is checked the same way', async () => {
    expect((await errorOf('https://rp.test/?auth_error=evil&auth_error=access_denied')).error).toBe('server_error');
    expect((await errorOf('https://rp.test/?auth_error=access_denied&auth_error=evil')).error).toBe('access_denied');
  });

  it('cleans every auth_error out of the address bar, keeping the rest of the URL', async () => {
    const replaced: string[] = [];
    vi.stubGlobal('location', { href: 'https://rp.test/home?tab=2&auth_error=%3Cscript%3E&auth_error=access_denied#top' });
    vi.stubGlobal('history', { state: null, replaceState: (_state: unknown, _title: string, url: string) => void replaced.push(url) });
    const error = await client().client.handleCallback().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'OAuthError', error: 'server_error' });
    expect(replaced).toEqual(['https://rp.test/home?tab=2#top']);
  });
});

describe('handleCallback after a successful login', () => {
  it('returns the page as a normalised path: a page at `//host/...` on our origin does not become a scheme-relative returnTo', async () => {
    const session: typeof fetch = async () => Response.json({ user: { sub: 'ada' }, expiresAt: Date.now() + 60_000 });
    for (const [page, returnTo] of [
      ['https://rp.test/home?tab=2#top', '/home?tab=2#top'],
      ['https://rp.test//evil.example/x', '/'],
      ['https://rp.test/.//evil.example/x', '/'],
      ['https://rp.test/%2e%2e//evil.example/x', '/'],
      ['https://rp.test/%2F/evil.example/x', '/%2F/evil.example/x'],
    ]) {
      const result = await client(session).client.handleCallback(page);
      expect(result.returnTo, page).toBe(returnTo);
    }
  });
});

describe('the session server emits only the alphabet', () => {
  it('maps a code outside it (a provider extension, a hostile provider) to server_error', () => {
    for (const text of FORGED) expect(authErrorCode(text)).toBe('server_error');
    for (const value of [undefined, null, 42, {}, ['access_denied']]) expect(authErrorCode(value)).toBe('server_error');
  });
});

describe('logout', () => {
  const answering = (redirectTo: unknown): typeof fetch => async () => Response.json({ redirectTo });

  it.each(['javascript:alert(document.domain)//', 'JavaScript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '//evil.example/', 'https:evil.example', 42, null])(
    'does not navigate to %j (it comes from the provider\'s metadata): ProtocolError, the session ended anyway',
    async (redirectTo) => {
      const { client: c, navigations } = client(answering(redirectTo));
      await expect(c.logout()).rejects.toBeInstanceOf(ProtocolError);
      expect(navigations).toEqual([]);
      expect(c.state.status).toBe('anonymous');
    },
  );

  it('navigates to an http(s) end-session URL', async () => {
    for (const redirectTo of ['https://op.test/logout?state=1', 'http://localhost:3000/session/end']) {
      const { client: c, navigations } = client(answering(redirectTo));
      await c.logout();
      expect(navigations).toEqual([redirectTo]);
    }
  });
});
