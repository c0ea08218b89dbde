// @vitest-environment happy-dom
// signInSilently() with the real client and the unit tests' fake provider: the request it sends, each
// outcome, and that a check never touches an existing session or leaves state behind.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OAuthError, isAuthError } from '../../src/index.js';
import { signInSilently } from '../../src/silent/index.js';
import { setup } from '../unit/harness.js';
import { captureFrames, openPage } from './frame-double.js';

let capture: ReturnType<typeof captureFrames>;

beforeEach(() => {
  // The page and the client's redirect URI (https://rp.test/cb) share an origin.
  openPage('https://rp.test/app?tab=1');
  capture = captureFrames();
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

/** The provider's answer as its redirect would carry it: a code for `sub`, or an error. */
function answer(world: Awaited<ReturnType<typeof setup>>, authorizationUrl: string, outcome: { sub: string } | { error: string }): string {
  const callback = new URL(world.provider.authorize(authorizationUrl, 'sub' in outcome ? outcome.sub : 'nobody'));
  if ('error' in outcome) {
    callback.searchParams.delete('code');
    callback.searchParams.set('error', outcome.error);
  }
  return callback.href;
}

/** Runs a check to the point where the frame shows the provider, then lets the provider answer. */
async function check(world: Awaited<ReturnType<typeof setup>>, outcome: { sub: string } | { error: string }, options = {}) {
  const events: string[] = [];
  for (const type of ['login', 'logout', 'refresh', 'warning'] as const) world.client.on(type, () => void events.push(type));
  const pending = signInSilently(world.client, options);
  const frame = await capture.frame();
  const request = frame.element.src as string;
  frame.load('foreign');
  frame.post(answer(world, request, outcome));
  const result: { value?: unknown; error?: unknown } = await pending.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return { ...result, request: new URL(request), events };
}

describe('signed in at the provider', () => {
  it('resolves with the login, the session stored as after login(), the frame gone', async () => {
    const world = await setup();
    const { value, request, events } = await check(world, { sub: 'alice' });
    expect(value).toMatchObject({ kind: 'login', user: { sub: 'alice' }, returnTo: '/app?tab=1' });
    expect(world.client.state).toMatchObject({ status: 'authenticated', user: { sub: 'alice' } });
    expect(events).toEqual(['login']);
    expect(await world.client.getAccessToken()).toMatch(/^at-/);
    expect(request.searchParams.get('prompt')).toBe('none');
    expect(request.searchParams.get('redirect_uri')).toBe('https://rp.test/cb');
    expect(capture.connected()).toBe(0);
    // The full-page navigation of the client was never used.
    expect(world.navigations).toEqual([]);
  });

  it('sends its redirect URI, returnTo and extra parameters; prompt stays none', async () => {
    const world = await setup();
    const { value, request } = await check(world, { sub: 'alice' }, {
      redirectUri: 'https://rp.test/cb',
      returnTo: '/inbox',
      params: { login_hint: 'alice', prompt: 'login' },
    });
    expect(value).toMatchObject({ returnTo: '/inbox' });
    expect(request.searchParams.get('login_hint')).toBe('alice');
    expect(request.searchParams.get('prompt')).toBe('none');
  });

  it('a prompt in the client\'s authorizationParams is overridden too', async () => {
    const world = await setup({}, { authorizationParams: { prompt: 'consent' } });
    const { request } = await check(world, { sub: 'alice' });
    expect(request.searchParams.get('prompt')).toBe('none');
  });
});

describe('the provider needs the user: LoginRequiredError, nothing changed', () => {
  for (const error of ['login_required', 'interaction_required', 'consent_required', 'account_selection_required']) {
    it(error, async () => {
      const world = await setup();
      const before = [...world.storage.map.keys()].sort();
      const { error: thrown, events } = await check(world, { error });
      expect(thrown).toMatchObject({ name: 'LoginRequiredError', code: 'login_required' });
      expect(isAuthError(thrown)).toBe(true);
      expect((thrown as Error).message).toContain(`"${error}"`);
      expect((thrown as Error).message).toContain('third-party cookies');
      // The provider's own error, for apps that care which (a consent page, an account chooser).
      const cause = (thrown as Error & { cause: OAuthError }).cause;
      expect(cause).toBeInstanceOf(OAuthError);
      expect(cause.error).toBe(error);
      expect(world.client.state.status).toBe('anonymous');
      expect(events).toEqual([]);
      // The answer consumed the check's pending login; the session key was never written.
      expect([...world.storage.map.keys()].filter((key) => !key.endsWith(':discovery')).sort()).toEqual(before.filter((key) => !key.endsWith(':discovery')));
      expect(capture.connected()).toBe(0);
    });
  }

  it('any other provider error passes through as the OAuthError it is', async () => {
    const world = await setup();
    const { error } = await check(world, { error: 'access_denied' });
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ code: 'oauth_error', error: 'access_denied' });
  });
});

describe('never over a session', () => {
  it('with a session: resolves undefined without a frame or a request, the session as it was', async () => {
    const world = await setup();
    await world.signIn();
    const token = await world.client.getAccessToken();
    const requests = world.provider.requests.length;
    await expect(signInSilently(world.client)).resolves.toBeUndefined();
    expect(capture.frames).toHaveLength(0);
    expect(world.provider.requests.length).toBe(requests);
    expect(await world.client.getAccessToken()).toBe(token);
  });

  it('a fresh client over a stored session (the next page load): restores it, sends nothing', async () => {
    const world = await setup();
    await world.signIn();
    const page = world.makeClient();
    await expect(signInSilently(page)).resolves.toBeUndefined();
    expect(page.state.status).toBe('authenticated');
    expect(capture.frames).toHaveLength(0);
  });
});

describe('cannot work here', () => {
  it('a cross-origin isolated page: silent_unavailable at once, no discovery, no frame, no pending login', async () => {
    vi.stubGlobal('crossOriginIsolated', true);
    const world = await setup();
    const started = Date.now();
    const error = await signInSilently(world.client).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toMatchObject({ name: 'AuthError', code: 'silent_unavailable' });
    expect((error as Error).message).toMatch(/cross-origin isolated.*refresh tokens/);
    expect(capture.frames).toHaveLength(0);
    expect(world.provider.requests).toEqual([]);
    expect([...world.storage.map.keys()].filter((key) => key.includes(':txn:'))).toEqual([]);
  });

  it('a redirect URI on another origin: a ConfigError before any frame', async () => {
    const world = await setup({}, { redirectUri: 'https://other.test/cb' });
    await expect(signInSilently(world.client)).rejects.toMatchObject({ name: 'ConfigError', option: 'redirectUri' });
    expect(capture.frames).toHaveLength(0);
  });
});

describe('deadline and abort', () => {
  it('default deadline 6 s, then timeout; state untouched', async () => {
    const world = await setup();
    await world.client.getUser(); // restored before the clock is faked
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = signInSilently(world.client);
    pending.catch(() => undefined);
    const frame = await capture.frame();
    expect(capture.connected()).toBe(1);
    frame.load('about:blank');
    await vi.advanceTimersByTimeAsync(5999);
    expect(capture.connected()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).rejects.toMatchObject({ code: 'timeout' });
    expect(capture.connected()).toBe(0);
    expect(world.client.state.status).toBe('anonymous');
  });

  it('timeoutMs is checked', async () => {
    const world = await setup();
    for (const timeoutMs of [0, -1, Number.NaN, Infinity, 700_000]) {
      await expect(signInSilently(world.client, { timeoutMs })).rejects.toMatchObject({ name: 'ConfigError', option: 'timeoutMs' });
    }
    expect(capture.frames).toHaveLength(0);
  });

  it('an aborted signal: aborted, nothing sent', async () => {
    const world = await setup();
    const controller = new AbortController();
    controller.abort();
    await expect(signInSilently(world.client, { signal: controller.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(world.provider.requests).toEqual([]);
    expect(capture.frames).toHaveLength(0);
  });

  it('aborting while the frame is out: aborted, the frame gone, state untouched', async () => {
    const world = await setup();
    const controller = new AbortController();
    const pending = signInSilently(world.client, { signal: controller.signal });
    await capture.frame();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AuthError', code: 'aborted' });
    expect(capture.connected()).toBe(0);
    expect(world.client.state.status).toBe('anonymous');
  });
});
