import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAuthError } from '../../src/index.js';
import { withoutResponseParams } from '../../src/protocol/callback-url.js';
import { setup } from './harness.js';

// The authorization response in the callback URL: RFC 6749 §3.1 ("Request and response parameters
// MUST NOT be included more than once"), §4.1.2 (code, state), §4.1.2.1 (error, error_description,
// error_uri), RFC 9207 (iss), OIDC Session Management (session_state). Each is refused when duplicated,
// empty or oversized, before the pending login is touched. And whatever the outcome, none of them, nor
// any token-bearing parameter or fragment, stays in the address bar (RFC 9700 §4.2.4, BCP for
// browser-based apps); the app's own parameters stay byte for byte.

const RESPONSE_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'];
/** Token-bearing names an implicit, hybrid or JARM response (or a hostile provider) would put in the URL. */
const TOKEN_PARAMS = ['access_token', 'id_token', 'refresh_token', 'token_type', 'expires_in', 'response'];
/** The longest value accepted for any response parameter. */
const MAX_PARAM = 4096;

/** A fake address bar: `location.href` and `history.replaceState`, as the SDK uses them. */
function addressBar(initial: string) {
  const bar = { href: initial };
  vi.stubGlobal('location', bar);
  vi.stubGlobal('history', { state: null, replaceState: (_: unknown, __: string, url: string) => void (bar.href = new URL(url, bar.href).href) });
  return bar;
}
afterEach(() => void vi.unstubAllGlobals());

async function pending(appQuery = '?app=1&q=a%20b+c') {
  const s = await setup();
  await s.client.login({ returnTo: '/after' });
  const genuine = new URL(s.provider.authorize(s.navigations[0] as string));
  /** The response parameters, for a case to alter; `url` puts them after the app's own, as spelled. */
  const params = new URLSearchParams(genuine.searchParams);
  return {
    ...s,
    genuine,
    params,
    get url() {
      return new URL(`https://rp.test/cb${appQuery}&${params}`);
    },
  };
}

/** Runs handleCallback on `href` as the page's own URL; returns the outcome and what the address bar shows after. */
async function run(s: Awaited<ReturnType<typeof pending>>, href: string) {
  const bar = addressBar(href);
  const outcome = await s.client.handleCallback().then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { outcome, after: bar.href };
}

describe('callback parameters: duplicated, empty, oversized', () => {
  beforeEach(() => addressBar('https://rp.test/'));

  it.each(RESPONSE_PARAMS)('CB-DUP "%s" twice: ProtocolError invalid_callback, no token request, the pending login kept', async (name) => {
    const s = await pending();
    const url = new URL(s.url);
    // The same value twice: only the repetition is wrong.
    const value = url.searchParams.get(name) ?? 'x';
    if (!url.searchParams.has(name)) url.searchParams.append(name, value);
    url.searchParams.append(name, value);
    const { outcome } = await run(s, url.href);
    expect(outcome).toMatchObject({ ok: false, error: { name: 'ProtocolError', code: 'invalid_callback' } });
    expect(s.provider.count('/token')).toBe(0);
    // The genuine response still completes: the refused one did not consume the login.
    expect((await run(s, s.url.href)).outcome).toEqual({ ok: true });
  });

  it.each(RESPONSE_PARAMS)('CB-EMPTY "%s" present but empty: refused before any token request', async (name) => {
    const s = await pending();
    const url = new URL(s.url);
    url.searchParams.set(name, '');
    const { outcome } = await run(s, url.href);
    expect(outcome.ok).toBe(false);
    expect(isAuthError((outcome as { error: unknown }).error)).toBe(true);
    expect((outcome as { error: { name: string } }).error.name).toBe('ProtocolError');
    expect(s.provider.count('/token')).toBe(0);
  });

  it.each(RESPONSE_PARAMS)(`CB-SIZE "%s" longer than ${MAX_PARAM} characters: refused before any token request, the pending login kept`, async (name) => {
    const s = await pending();
    const url = new URL(s.url);
    url.searchParams.set(name, 'A'.repeat(MAX_PARAM + 1));
    const { outcome } = await run(s, url.href);
    expect(outcome).toMatchObject({ ok: false, error: { name: 'ProtocolError' } });
    expect(s.provider.count('/token')).toBe(0);
    if (name !== 'state') expect((await run(s, s.url.href)).outcome).toEqual({ ok: true });
  });

  it(`CB-SIZE a value of exactly ${MAX_PARAM} characters in an unused parameter is accepted`, async () => {
    const s = await pending();
    const url = new URL(s.url);
    url.searchParams.set('session_state', 'A'.repeat(MAX_PARAM));
    expect((await run(s, url.href)).outcome).toEqual({ ok: true });
  });
});

describe('what stays in the address bar after handleCallback', () => {
  /** Every way a callback can end; each yields the URL the page was opened with. */
  const paths: Array<[string, (s: Awaited<ReturnType<typeof pending>>) => string | Promise<string>]> = [
    ['success', (s) => s.url.href],
    ['state mismatch', (s) => (s.params.set('state', 'x'.repeat(43)), s.url.href)],
    ['state missing', (s) => (s.params.delete('state'), s.url.href)],
    ['no login pending', async (s) => (await run(s, s.url.href), s.url.href)],
    ['issuer mismatch', (s) => (s.params.set('iss', 'https://evil.test'), s.url.href)],
    ['an error response', (s) => (s.params.delete('code'), s.params.set('error', 'access_denied'), s.params.set('error_description', 'no'), s.params.set('error_uri', 'https://op.test/e'), s.url.href)],
    ['a duplicated code', (s) => (s.params.append('code', 'x'), s.url.href)],
    ['the token endpoint failing', (s) => ((s.provider.hooks.token = () => new Response('oops', { status: 500 })), s.url.href)],
    ['an invalid token response', (s) => ((s.provider.hooks.token = () => s.provider.json({ access_token: 1 })), s.url.href)],
  ];
  const planted = [...RESPONSE_PARAMS, ...TOKEN_PARAMS];

  it.each(paths)('CB-URL %s: no response or token parameter and no fragment left, the app\'s own parameters unchanged', async (_, make) => {
    const s = await pending();
    await make(s);
    for (const name of TOKEN_PARAMS) s.params.append(name, `planted-${name}`);
    const { after } = await run(s, `${s.url.href}#access_token=planted-fragment&id_token=eyJx.eyJ.x&state=z`);
    const left = new URL(after);
    for (const name of planted) expect(left.searchParams.has(name), `?${name} left`).toBe(false);
    expect(left.hash).toBe('');
    expect(after).not.toContain('planted');
    // The app's parameters keep their exact spelling (a re-serialised query would turn %20 into +).
    expect(left.search).toBe('?app=1&q=a%20b+c');
    expect(left.pathname).toBe('/cb');
  });

  it('CB-URL withoutResponseParams: every listed name removed however it is spelled in the query, the rest kept verbatim', () => {
    const href = 'https://rp.test/cb?a=%2F&co%64e=1&state&iss=x&b=1+2&access_token=t&id%5Ftoken=t&x=%E2%82%AC&session_state=s#id_token=y';
    expect(withoutResponseParams(new URL(href))).toBe('https://rp.test/cb?a=%2F&b=1+2&x=%E2%82%AC');
    expect(withoutResponseParams(new URL('https://rp.test/cb?code=1&state=2#x'))).toBe('https://rp.test/cb');
  });
});
