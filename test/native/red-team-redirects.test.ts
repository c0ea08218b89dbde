// Red team: the redirect-URI rules of the native-app features, as properties over hostile input rather
// than hand-picked lists. What a link must be for isCallbackUrl() to take it, and what the option check
// lets through as a private-use scheme.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthClient } from '../../src/index.js';
import { isCallbackUrl } from '../../src/native/index.js';

const REDIRECTS = ['com.example.app:/callback', 'com.example.app://auth/callback', 'https://rp.test/native/cb', 'http://127.0.0.1:53123/callback', 'http://[::1]:53123/cb'];
// What an attacker who can have the operating system open a link controls: every character of it.
const TRICKY = ['/', '\\', '.', '..', '%2e', '%2E%2E', '%2F', '%5C', '@', ':', '#', '?', '?#', '\t', '\n', '\r', ' ', '\u0000', '%00', '\u00a0', 'ｃ', 'C', 'A', ';', '//', './', '../', ':443', ':80', ':0', '[', ']', 'xn--', '\u200b', '%23', '%3F', '&', '='];

/** The parts that decide where a URL points. */
const place = (url: URL) => ({ protocol: url.protocol, username: url.username, password: url.password, host: url.host, pathname: url.pathname });

describe('isCallbackUrl(link, redirectUri) takes a link only when it points exactly where the redirect URI does', () => {
  it('for links made by inserting, deleting and replacing characters of a genuine callback', () => {
    const edit = fc.record({
      at: fc.nat(),
      remove: fc.nat({ max: 3 }),
      insert: fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 2 })), { maxLength: 3 }).map((parts) => parts.join('')),
    });
    fc.assert(
      fc.property(fc.constantFrom(...REDIRECTS), fc.array(edit, { minLength: 1, maxLength: 3 }), (redirectUri, edits) => {
        let link = `${redirectUri}?state=s&code=c`;
        for (const { at, remove, insert } of edits) {
          const i = at % (link.length + 1);
          link = link.slice(0, i) + insert + link.slice(i + remove);
        }
        if (!isCallbackUrl(link, redirectUri)) return;
        // Accepted: the same scheme, no userinfo, the same host and port, the same path, and a login response.
        const parsed = new URL(link);
        expect(place(parsed), link).toEqual(place(new URL(redirectUri)));
        expect(parsed.searchParams.has('state')).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['userinfo before the host', 'https://rp.test@evil.test/native/cb?state=s&code=c', 'https://rp.test/native/cb'],
    ['userinfo that is the host', 'https://evil.test@rp.test/native/cb?state=s&code=c', 'https://rp.test/native/cb'],
    ['a trailing dot', 'https://rp.test./native/cb?state=s&code=c', 'https://rp.test/native/cb'],
    ['an encoded slash', 'https://rp.test/native%2Fcb?state=s&code=c', 'https://rp.test/native/cb'],
    ['a path parameter', 'https://rp.test/native/cb;x?state=s&code=c', 'https://rp.test/native/cb'],
    ['the response in the fragment', 'com.example.app:/callback#?state=s&code=c', 'com.example.app:/callback'],
    ['a backslash (no slash magic off http)', 'com.example.app:\\callback?state=s&code=c', 'com.example.app:/callback'],
    ['an empty authority', 'com.example.app:///callback?state=s&code=c', 'com.example.app:/callback'],
    ['a dot segment that leaves an empty one', 'com.example.app:/.//callback?state=s&code=c', 'com.example.app:/callback'],
    ['an encoded letter in the path', 'com.example.app:/%63allback?state=s&code=c', 'com.example.app:/callback'],
    ['an opaque path', 'com.example.app:callback?state=s&code=c', 'com.example.app:/callback'],
    ['the authority form as a host', 'com.example.app://callback?state=s&code=c', 'com.example.app:/callback'],
    ['another host of the authority form', 'com.example.app://AUTH/callback?state=s&code=c', 'com.example.app://auth/callback'],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]:53123/callback?state=s&code=c', 'http://127.0.0.1:53123/callback'],
    ['localhost for 127.0.0.1', 'http://localhost:53123/callback?state=s&code=c', 'http://127.0.0.1:53123/callback'],
    ['another port', 'http://127.0.0.1:53124/callback?state=s&code=c', 'http://127.0.0.1:53123/callback'],
    ['no port', 'http://127.0.0.1/callback?state=s&code=c', 'http://127.0.0.1:53123/callback'],
    ['https for http', 'https://127.0.0.1:53123/callback?state=s&code=c', 'http://127.0.0.1:53123/callback'],
  ])('refuses %s', (_, link, redirectUri) => {
    expect(isCallbackUrl(link, redirectUri)).toBe(false);
  });

  it.each([
    ['the scheme in capitals', 'COM.EXAMPLE.APP:/callback?state=s&code=c', 'com.example.app:/callback'],
    ['a default port written out', 'https://rp.test:443/native/cb?state=s&code=c', 'https://rp.test/native/cb'],
    ['a host in capitals', 'https://RP.TEST/native/cb?state=s&code=c', 'https://rp.test/native/cb'],
    ['a tab the URL parser drops', 'com.example.app:/call\tback?state=s&code=c', 'com.example.app:/callback'],
  ])('takes %s, which the URL standard makes the same URL (and the OS delivers to the same app)', (_, link, redirectUri) => {
    expect(isCallbackUrl(link, redirectUri)).toBe(true);
  });
});

describe('the private-use scheme rule (RFC 8252 §7.1) lets through nothing a browser would run or fetch', () => {
  const accepted = (redirectUri: string) => {
    try {
      new AuthClient({ issuer: 'https://op.test', clientId: 'app', redirectUri });
      return true;
    } catch {
      return false;
    }
  };
  const DANGEROUS = ['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:', 'view-source:', 'ws:', 'wss:', 'ftp:', 'chrome:', 'chrome-extension:', 'moz-extension:', 'intent:'];

  it('for random scheme-like strings: what is accepted is https:, loopback http:, or a scheme with a dot, which has no origin', () => {
    const scheme = fc.stringMatching(/^[A-Za-z][A-Za-z0-9+.\-]{0,12}$/);
    const rest = fc.constantFrom(':/callback', '://host/cb', ':callback', ':', ':javascript:alert(1)', '://127.0.0.1/cb', ':text/html,<script>1</script>');
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...DANGEROUS.map((d) => d.slice(0, -1)), 'http', 'https', 'HTTP', 'JavaScript', 'javascript.x', 'data.x', 'a.', 'com.'), scheme), rest, (name, tail) => {
        const uri = name + tail;
        if (!accepted(uri)) return;
        const url = new URL(uri);
        expect(DANGEROUS, uri).not.toContain(url.protocol);
        if (url.protocol === 'https:' || url.protocol === 'http:') return;
        expect(url.protocol, uri).toContain('.');
        expect(url.origin, uri).toBe('null');
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    'com.googleusercontent.apps.1234-abcd:/oauth2redirect', // Google's iOS and Android client ids
    'msauth.com.example.app://auth', // MSAL for iOS
    'com.example.app:/oauth2redirect/example-provider',
    'io.github.example-app:/cb',
  ])('still accepts the real-world reverse-DNS form %s', (uri) => {
    expect(accepted(uri)).toBe(true);
  });
});
