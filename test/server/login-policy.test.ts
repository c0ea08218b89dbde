// A login link (`GET login?...`) against the app's pinned authorization parameters, with the real
// oidc-provider: configured values win, a link may only tighten them, empty values are absent, a
// malformed or repeated one is refused (RFC 6749 §3.1), and the ID token is checked against what was
// really asked (OIDC Core §3.1.2.1 max_age and acr_values, §3.1.3.7 item 13 auth_time, §2 acr).
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { SESSION_COOKIE, call, fakeClock, loginAt, type App } from './harness.js';
import { worldForFile } from './stores.js';

// oidc-provider issues the acr claim only for acr values it is configured with.
const file = worldForFile({ configureProvider: (configuration) => ({ ...configuration, acrValues: ['urn:mfa', 'urn:hwk', 'urn:weak'] }) });
let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});
afterAll(() => app?.close());

/** The authorization request `GET login?<query>` sends the browser to (its parameters), or the refusal. */
async function authorize(query: string) {
  const response = await call(file.world, '', `/auth/login?${query}`);
  const location = response.headers.get('location');
  return { status: response.status, body: response.body, setCookies: response.headers.getSetCookie(), params: location ? new URL(location).searchParams : undefined };
}

const PINNED = { prompt: 'login', acr_values: 'urn:mfa', max_age: '300', login_hint: 'ada', ui_locales: 'en' };

describe('configured authorization parameters win over a login link', () => {
  test('a link cannot replace pinned prompt, acr_values, max_age, login_hint or ui_locales', async () => {
    app = await file.world.startApp({ authorizationParams: PINNED });
    const { status, params } = await authorize('prompt=none&acr_values=urn:weak&max_age=99999999&login_hint=eve&ui_locales=fr');
    expect(status).toBe(303);
    for (const [name, value] of Object.entries(PINNED)) expect(params?.get(name), name).toBe(value);
  });

  test('a link may only tighten: a smaller max_age, more prompt interactions, a subset of the acr policy', async () => {
    app = await file.world.startApp({ authorizationParams: { prompt: 'login', max_age: '300', acr_values: 'urn:mfa urn:hwk' } });
    const tighter = await authorize('max_age=10&prompt=consent&acr_values=urn:hwk');
    expect(tighter.params?.get('max_age')).toBe('10');
    expect(tighter.params?.get('prompt')).toBe('login consent');
    expect(tighter.params?.get('acr_values')).toBe('urn:hwk');
    // Larger max_age, prompt=none, an acr outside the policy: the configured values stay.
    const looser = await authorize('max_age=301&prompt=none&acr_values=urn:hwk%20urn:weak');
    expect(looser.params?.get('max_age')).toBe('300');
    expect(looser.params?.get('prompt')).toBe('login');
    expect(looser.params?.get('acr_values')).toBe('urn:mfa urn:hwk');
  });

  test('without a configured value a link may set one (a silent check, a max_age, a hint)', async () => {
    app = await file.world.startApp();
    const { params } = await authorize('prompt=none&max_age=60&login_hint=ada&acr_values=urn:any');
    expect(params?.get('prompt')).toBe('none');
    expect(params?.get('max_age')).toBe('60');
    expect(params?.get('login_hint')).toBe('ada');
    expect(params?.get('acr_values')).toBe('urn:any');
  });

  test('empty values are absent, not sent as empty parameters', async () => {
    app = await file.world.startApp({ authorizationParams: { max_age: '300' } });
    const { status, params } = await authorize('prompt=&max_age=&login_hint=&ui_locales=&acr_values=');
    expect(status).toBe(303);
    for (const name of ['prompt', 'login_hint', 'ui_locales', 'acr_values']) expect(params?.has(name), name).toBe(false);
    expect(params?.get('max_age')).toBe('300');
  });

  test.each([
    ['max_age=abc', 'max_age'],
    ['max_age=-1', 'max_age'],
    ['max_age=1e3', 'max_age'],
    ['max_age=%2010', 'max_age'],
    ['max_age=12345678901', 'max_age'],
    ['max_age=315360001', 'max_age'],
    ['prompt=bogus', 'prompt'],
    ['prompt=none%20login', 'prompt'],
    ['prompt=login%20%20consent', 'prompt'],
    ['acr_values=urn:a%20urn:a', 'acr_values'],
    ['login_hint=a%0Db', 'login_hint'],
    ['login_hint=a%00', 'login_hint'],
    [`ui_locales=${'x'.repeat(257)}`, 'ui_locales'],
    // RFC 6749 §3.1: parameters MUST NOT be included more than once; even a repeat with an empty value.
    ['prompt=login&prompt=none', 'prompt'],
    ['max_age=10&max_age=99999', 'max_age'],
    ['acr_values=&acr_values=urn:weak', 'acr_values'],
    ['login_hint=ada&login_hint=eve', 'login_hint'],
    ['ui_locales=en&ui_locales=fr', 'ui_locales'],
  ])('a malformed or repeated parameter is refused: %s', async (query, parameter) => {
    app ??= await file.world.startApp({ authorizationParams: { max_age: '300' } });
    const refused = await authorize(query);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: 'invalid_login_parameter', parameter });
    // Nothing started: no pending-login cookie.
    expect(refused.setCookies).toEqual([]);
  });

  test('a repeated returnTo is refused too (which one would the app mean?)', async () => {
    app = await file.world.startApp();
    expect((await authorize('returnTo=/a&returnTo=/b')).status).toBe(400);
  });
});

describe('the ID token is checked against the effective request', () => {
  test('auth_time is checked against the configured max_age, not a larger one from the link', async () => {
    const clock = fakeClock();
    app = await file.world.startApp({ authorizationParams: { max_age: '60' }, now: clock.now });
    // The user authenticated "two minutes ago" from the server's point of view.
    clock.advance(120_000);
    const tooOld = await loginViaLink('returnTo=%2Fhome&max_age=99999999');
    expect(tooOld.finalUrl).toMatch(/\/home\?auth_error=/);
    expect(tooOld.jar.cookies.has(SESSION_COOKIE)).toBe(false);
    // Positive control: on time, the same link signs in.
    clock.advance(-120_000);
    expect((await loginViaLink('returnTo=%2Fhome&max_age=99999999')).jar.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  test("a link's own max_age (none configured) is enforced on auth_time", async () => {
    const clock = fakeClock();
    app = await file.world.startApp({ now: clock.now });
    clock.advance(120_000);
    const refused = await loginViaLink('returnTo=%2Fhome&max_age=60');
    expect(refused.finalUrl).toMatch(/\/home\?auth_error=/);
    expect(refused.jar.cookies.has(SESSION_COOKIE)).toBe(false);
  });
});

describe('requiredAcr: the acr the app needs is asked for and checked', () => {
  const provider = () => file.world.provider.provider as unknown as { interactionResult: (...args: unknown[]) => Promise<string> };
  /** Makes the provider report `acr` for the logins of one test (oidc-provider takes it from the login result). */
  function providerAcr(acr: string | undefined): () => void {
    const original = provider().interactionResult;
    provider().interactionResult = function (this: unknown, req, res, result, options) {
      const login = (result as { login?: object }).login;
      return original.call(this, req, res, login && acr ? { ...(result as object), login: { ...login, acr } } : result, options);
    };
    return () => void (provider().interactionResult = original);
  }

  test('acr_values is sent (a link cannot replace it) and an ID token without acr, or another acr, is refused', async () => {
    app = await file.world.startApp({ requiredAcr: ['urn:mfa', 'urn:hwk'] } as never);
    const { params } = await authorize('acr_values=urn:weak');
    expect(params?.get('acr_values')).toBe('urn:mfa urn:hwk');

    // OIDC Core §3.1.2.1: acr_values is voluntary for the provider, so the answer must be checked (§2 acr).
    const none = await loginViaLink('returnTo=%2Fhome');
    expect(none.finalUrl).toBe(`${file.world.appOrigin}/home?auth_error=invalid_id_token`);
    expect(none.jar.cookies.has(SESSION_COOKIE)).toBe(false);

    const restoreWeak = providerAcr('urn:weak');
    try {
      const weak = await loginViaLink('returnTo=%2Fhome');
      expect(weak.finalUrl).toBe(`${file.world.appOrigin}/home?auth_error=invalid_id_token`);
      expect(weak.jar.cookies.has(SESSION_COOKIE)).toBe(false);
    } finally {
      restoreWeak();
    }

    const restore = providerAcr('urn:hwk');
    try {
      const good = await loginViaLink('returnTo=%2Fhome');
      expect(good.finalUrl).toBe(`${file.world.appOrigin}/home`);
      const session = await call(file.world, good.jar, '/auth/session');
      expect(session.status).toBe(200);
      expect((session.body as { user: { acr?: string } }).user.acr).toBe('urn:hwk');
    } finally {
      restore();
    }
  });
});

/** A login through `GET login?<query>`, followed like a browser. */
async function loginViaLink(query: string) {
  const params = new URLSearchParams(query);
  const returnTo = params.get('returnTo') ?? '/';
  params.delete('returnTo');
  return loginAt(file.world, { returnTo, query: params.toString() });
}
