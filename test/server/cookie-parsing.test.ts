// Reading the Cookie header as RFC 6265bis says (§5.6 for the name-value-pair algorithm the
// cookie-string reuses, §5.8.3 for how user agents serialise it): split on ';', a pair without '='
// is a nameless cookie, and only WSP (SP and HTAB) is removed around names and values; names are
// compared byte for byte. String.trim() also strips U+00A0, U+FEFF, U+2028 and every Zs space, which
// let a sibling subdomain toss `\u00a0__Host-oidc-session=...` past the `__Host-` prefix (session
// fixation, login CSRF). A request that carries the session cookie or one pending-login cookie more
// than once has neither: which copy would be ours?
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cookiesStartingWith, readCookie } from '../../src/server/cookies.js';
import { CookieJar } from '../support/fetch-login.mjs';
import { SESSION_COOKIE, login, sessionCookie, startWorld, type App, type World } from './harness.js';
import { rawRequest, type RawResponse } from './raw-http.js';

const NAME = SESSION_COOKIE;
const PENDING = `${NAME}.login.`;

/** Every character String.trim() strips (ECMAScript WhiteSpace and LineTerminator) but WSP, and U+0085. */
const NOT_WSP: [string, string][] = [
  ['U+00A0', '\u00a0'],
  ['U+1680', '\u1680'],
  ...Array.from({ length: 11 }, (_, i): [string, string] => [`U+${(0x2000 + i).toString(16).toUpperCase()}`, String.fromCharCode(0x2000 + i)]),
  ['U+2028', '\u2028'],
  ['U+2029', '\u2029'],
  ['U+202F', '\u202f'],
  ['U+205F', '\u205f'],
  ['U+3000', '\u3000'],
  ['U+FEFF', '\ufeff'],
  ['U+0085', '\u0085'],
  ['VT', '\u000b'],
  ['FF', '\u000c'],
  ['CR', '\r'],
  ['LF', '\n'],
];

/** The ways a name can differ from ours and still look like it: whitespace glued on either side. */
function disguises(name: string): [string, string][] {
  return NOT_WSP.flatMap(([what, char]): [string, string][] => [
    [`${what} before`, `${char}${name}`],
    [`${what} after`, `${name}${char}`],
    [`${what} around`, `${char}${name}${char}`],
    [`SP and ${what} before`, ` ${char}${name}`],
  ]);
}
const CASES = (name: string) => [name.toLowerCase(), name.toUpperCase(), name.replace('Host', 'HOST'), name.replace('__Host-', '__host-')];

describe('readCookie and cookiesStartingWith (unit)', () => {
  test('only SP and HTAB are removed around names and values', () => {
    expect(readCookie(` \t${NAME} \t= \tv \t; a=1`, NAME)).toBe('v');
    expect(readCookie(`a=1;${NAME}=v`, NAME)).toBe('v');
    expect(cookiesStartingWith(`\t ${PENDING}abc \t=\t1 ;x=2`, PENDING)).toEqual([[`${PENDING}abc`, '1']]);
  });

  test.each(disguises(NAME))('a name with %s is another cookie, not ours', (_what, name) => {
    expect(readCookie(`${name}=v`, NAME)).toBeUndefined();
    expect(readCookie(`a=1; ${name}=v; b=2`, NAME)).toBeUndefined();
    // Next to the real one it is just another cookie: ours is still there, once.
    expect(readCookie(`${name}=evil; ${NAME}=v`, NAME)).toBe('v');
  });

  test.each(disguises(`${PENDING}abc`))('a pending-login name with %s is not a pending login', (_what, name) => {
    expect(readCookie(`${name}=v`, `${PENDING}abc`)).toBeUndefined();
    // Listed (for clean-up) only under its own name, never as ours; a prefix glued in front hides it entirely.
    const listed = cookiesStartingWith(`${name}=v`, PENDING).map(([listedName]) => listedName);
    expect(listed).not.toContain(`${PENDING}abc`);
    if (!name.startsWith(PENDING)) expect(listed).toEqual([]);
  });

  test('names are compared byte for byte: case variations are other cookies', () => {
    for (const name of CASES(NAME)) expect(readCookie(`${name}=v`, NAME), name).toBeUndefined();
    for (const name of CASES(`${PENDING}abc`)) expect(cookiesStartingWith(`${name}=v`, PENDING), name).toEqual([]);
  });

  test('a name carried twice is no cookie at all, whatever the values', () => {
    expect(readCookie(`${NAME}=v; ${NAME}=v`, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}=v; ${NAME}=w`, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}=; ${NAME}=v`, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}=v;${NAME}=v`, NAME)).toBeUndefined();
    // Node joins repeated Cookie header lines with "; ".
    expect(readCookie([`${NAME}=v`, `${NAME}=w`].join('; '), NAME)).toBeUndefined();
    expect(readCookie(`${PENDING}abc=1; x=2; ${PENDING}abc=1`, `${PENDING}abc`)).toBeUndefined();
  });

  test('a part without "=" is a nameless cookie (RFC 6265bis §5.6), neither ours nor a second copy of ours', () => {
    expect(readCookie(NAME, NAME)).toBeUndefined();
    expect(readCookie(`${NAME}=v; ${NAME}`, NAME)).toBe('v');
    expect(readCookie(`v; other=1`, NAME)).toBeUndefined();
    expect(cookiesStartingWith(`${PENDING}abc`, PENDING)).toEqual([]);
  });

  test('a quoted value is kept as sent (the quotes are part of the cookie-value); ours are never quoted', () => {
    expect(readCookie(`${NAME}="v"`, NAME)).toBe('"v"');
  });
});

describe('the routes read only the exact cookie name, once', () => {
  let world: World;
  let app: App;
  /** The victim's session and the attacker's own (which a sibling subdomain would toss into the victim's browser). */
  let victim: string;
  let attacker: string;

  beforeAll(async () => {
    world = await startWorld();
    app = await world.startApp({ tokenRoute: true });
    victim = sessionCookie((await login(world)).jar);
    attacker = sessionCookie((await login(world)).jar);
  });
  afterAll(() => world?.close());

  const csrf: [string, string][] = [
    ['X-OIDC-Session', '1'],
    ['Origin', ''],
    ['Sec-Fetch-Site', 'same-origin'],
  ];
  const send = (method: string, path: string, cookieLines: string[], extra: [string, string][] = []): Promise<RawResponse> =>
    rawRequest(world.appPort, method, path, [...cookieLines.map((line): [string, string] => ['Cookie', line]), ...extra.map(([n, v]): [string, string] => [n, n === 'Origin' ? world.appOrigin : v])]);
  const sessionStatus = async (cookieLines: string[]) => (await send('GET', '/auth/session', cookieLines)).status;

  test('the control: the exact name once is the session, on every route that reads it', async () => {
    expect(await sessionStatus([`${NAME}=${victim}`])).toBe(200);
    expect(await sessionStatus([`${NAME}= \t${victim}\t `])).toBe(200);
    expect((await send('GET', '/api/me', [`${NAME}=${victim}`])).status).toBe(200);
    expect((await send('GET', '/auth/token', [`${NAME}=${victim}`], csrf)).status).toBe(200);
    expect(await app.server.getSession({ headers: { cookie: `${NAME}=${victim}` } })).toBeDefined();
  });

  test('a tossed name (whitespace glued on, other case) is no session: session, API, token, getSession', async () => {
    const names = [...disguises(NAME).map(([, name]) => name), ...CASES(NAME)];
    for (const name of names) {
      const cookie = `${name}=${attacker}`;
      const what = JSON.stringify(name);
      for (const [method, path, extra] of [
        ['GET', '/auth/session', []],
        ['GET', '/api/me', []],
        ['GET', '/auth/token', csrf],
      ] as const) {
        const response = await send(method, path, [cookie], [...extra]);
        // CR, LF, VT and FF never reach us: Node refuses the request (400). Nothing else but 401 is right.
        expect([400, 401], `${method} ${path} ${what}: ${response.status}`).toContain(response.status);
      }
      // Frameworks that hand over headers decoded as UTF-8 reach getSession with the characters themselves.
      expect(await app.server.getSession({ headers: { cookie } }), what).toBeUndefined();
      expect(await app.server.getAccessToken({ headers: { cookie } }), what).toBeUndefined();
    }
    expect(await sessionStatus([`${NAME}=${attacker}`])).toBe(200);
  });

  test('logout ends the session under the exact name, not the one tossed in front of it', async () => {
    const mine = sessionCookie((await login(world)).jar);
    const theirs = sessionCookie((await login(world)).jar);
    const response = await send('POST', '/auth/logout', [`\u00a0${NAME}=${theirs}; ${NAME}=${mine}`], csrf);
    expect(response.status).toBe(200);
    expect(await sessionStatus([`${NAME}=${mine}`])).toBe(401);
    expect(await sessionStatus([`${NAME}=${theirs}`])).toBe(200);
  });

  test('the session cookie twice is no session: same or different values, in one header or in two Cookie lines', async () => {
    for (const lines of [
      [`${NAME}=${victim}; ${NAME}=${victim}`],
      [`${NAME}=${victim}; ${NAME}=${attacker}`],
      [`${NAME}=${attacker}; a=1; ${NAME}=${victim}`],
      [`${NAME}=; ${NAME}=${victim}`],
      [`${NAME}=${victim}`, `${NAME}=${victim}`],
      [`${NAME}=${attacker}`, `${NAME}=${victim}`],
    ]) {
      expect(await sessionStatus(lines), lines.join(' | ')).toBe(401);
      expect((await send('GET', '/api/me', lines)).status, lines.join(' | ')).toBe(401);
      expect((await send('GET', '/auth/token', lines, csrf)).status, lines.join(' | ')).toBe(401);
      expect(await app.server.getSession({ headers: { cookie: lines.join('; ') } })).toBeUndefined();
    }
    // Two lines that do not repeat the name are one header: the session is read.
    expect(await sessionStatus(['a=1', `${NAME}=${victim}`])).toBe(200);
  });

  test('a quoted value, a nameless cookie holding the value, or the name without "=" are no session', async () => {
    for (const line of [`${NAME}="${victim}"`, victim, `${NAME}`, `${NAME}; ${victim}`]) {
      expect(await sessionStatus([line]), line).toBe(401);
    }
  });

  /** A login stopped at the provider's redirect back: the callback URL and the pending-login cookie. */
  async function pendingLogin(): Promise<{ callback: string; name: string; value: string }> {
    const provider = new CookieJar();
    const start = await fetch(`${world.appOrigin}/auth/login?returnTo=%2Fhome`, { redirect: 'manual' });
    await start.arrayBuffer();
    const [pair] = start.headers.getSetCookie().filter((line) => line.startsWith(PENDING));
    const name = (pair as string).slice(0, (pair as string).indexOf('='));
    const value = (pair as string).slice(name.length + 1, (pair as string).indexOf(';'));
    let url = start.headers.get('location') as string;
    while (!url.startsWith(`${world.appOrigin}/`)) {
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: provider.header() } });
      provider.take(response);
      await response.arrayBuffer();
      url = new URL(response.headers.get('location') as string, url).href;
    }
    return { callback: url, name, value };
  }

  const callbackWith = async (cookieLines: string[], callback: string) => {
    const response = await send('GET', callback.slice(world.appOrigin.length), cookieLines);
    return { status: response.status, error: new URL(response.headers.location ?? '/', world.appOrigin).searchParams.get('auth_error'), setCookies: response.setCookies };
  };

  test('the callback ignores a tossed pending-login cookie: no login completes from it (login CSRF)', async () => {
    for (const [what, char] of NOT_WSP) {
      for (const glue of [(name: string) => `${char}${name}`, (name: string) => `${name}${char}`]) {
        const { callback, name, value } = await pendingLogin();
        const result = await callbackWith([`${glue(name)}=${value}`], callback);
        // Node refuses CR, LF, VT and FF in a header itself (400); every other request lands as "no pending login".
        if (result.status !== 400) expect(result.error, what).toBe('transaction_not_found');
        expect(result.setCookies.filter((line) => line.startsWith(`${NAME}=`) && !/Max-Age=0/.test(line)), what).toEqual([]);
      }
    }
    const { callback, name, value } = await pendingLogin();
    for (const other of CASES(name)) expect((await callbackWith([`${other}=${value}`], callback)).error, other).toBe('transaction_not_found');
  });

  test('the callback refuses a pending-login cookie carried twice, in one header or two lines', async () => {
    for (const twice of [(n: string, v: string) => [`${n}=${v}; ${n}=${v}`], (n: string, v: string) => [`${n}=${v}`, `${n}=${v}`], (n: string, v: string) => [`${n}=x; ${n}=${v}`]]) {
      const { callback, name, value } = await pendingLogin();
      const result = await callbackWith(twice(name, value), callback);
      expect(result.error, twice(name, value).join(' | ').slice(0, 60)).toBe('transaction_not_found');
    }
    // The control: the same login's cookie once completes it.
    const { callback, name, value } = await pendingLogin();
    const done = await callbackWith([`${name}=${value}`], callback);
    expect(done.error).toBeNull();
    expect(done.setCookies.some((line) => line.startsWith(`${NAME}=`) && !/Max-Age=0/.test(line))).toBe(true);
  });
});
