// @vitest-environment happy-dom
// The hidden frame on its own: which messages it accepts, the deadline and what it says there, abort,
// and that nothing (frame, listener, timer) outlives an outcome.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadInFrame } from '../../src/silent/frame.js';
import { FRAME_NAME } from '../../src/silent/response.js';
import { captureFrames, openPage } from './frame-double.js';

const APP = 'https://rp.test';
const STATE = 'state-123';
const authorizationUrl = (redirect = `${APP}/silent`, state = STATE) =>
  `https://op.test/authorize?${new URLSearchParams({ client_id: 'spa', redirect_uri: redirect, state, prompt: 'none', response_type: 'code' })}`;
const response = (params: Record<string, string>) => `${APP}/silent?${new URLSearchParams(params)}`;

let capture: ReturnType<typeof captureFrames>;
let listeners: { added: number; removed: number };

beforeEach(() => {
  openPage(`${APP}/app`);
  capture = captureFrames();
  listeners = { added: 0, removed: 0 };
  const add = window.addEventListener.bind(window);
  const remove = window.removeEventListener.bind(window);
  vi.spyOn(window, 'addEventListener').mockImplementation((type: string, ...rest: any[]) => ((type === 'message' && listeners.added++), add(type, ...(rest as [any]))));
  vi.spyOn(window, 'removeEventListener').mockImplementation((type: string, ...rest: any[]) => ((type === 'message' && listeners.removed++), remove(type, ...(rest as [any]))));
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

/** Nothing left: no frame in the document, the message listener removed, no timer pending. */
function expectCleanedUp() {
  expect(capture.connected()).toBe(0);
  expect(listeners).toEqual({ added: 1, removed: 1 });
  expect(vi.getTimerCount()).toBe(0);
}

describe('the frame', () => {
  it('is a hidden iframe, named for the callback page, at the authorization URL', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 5000);
    const frame = await capture.frame();
    expect(capture.tags).toEqual(['iframe']);
    expect(frame.element.hidden).toBe(true);
    expect(frame.element.name).toBe(FRAME_NAME);
    expect(frame.element.src).toBe(authorizationUrl());
    expect(frame.element.parentNode).toBe(document.body);
    expect(capture.connected()).toBe(1);
    frame.post(response({ code: 'c', state: STATE }));
    await pending;
  });

  it('resolves with the response its own page hands back, then is gone', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 5000);
    const frame = await capture.frame();
    frame.load('foreign'); // the provider's page, on the way
    const callback = response({ code: 'c', state: STATE, iss: 'https://op.test' });
    frame.post(callback);
    await expect(pending).resolves.toBe(callback);
    expectCleanedUp();
  });

  it('takes an error response for its state too (the client maps it)', async () => {
    const pending = loadInFrame(authorizationUrl(), 5000);
    const callback = response({ error: 'login_required', state: STATE });
    (await capture.frame()).post(callback);
    await expect(pending).resolves.toBe(callback);
  });
});

describe('forged and stray messages are ignored', () => {
  const genuine = response({ code: 'c', state: STATE });
  const cases: Array<[string, (frame: Awaited<ReturnType<typeof capture.frame>>) => void]> = [
    ['another origin', (f) => f.post(genuine, 'https://evil.test')],
    ['the same site but another origin', (f) => f.post(genuine, 'https://rp.test:8443')],
    ['another window of this origin (a popup, another frame)', (f) => f.post(genuine, APP, {})],
    ['no source at all', (f) => f.post(genuine, APP, null)],
    ['the response to another request (wrong state)', (f) => f.post(response({ code: 'c', state: 'other' }))],
    ['a URL without state', (f) => f.post(response({ code: 'c' }))],
    ['a URL without code or error', (f) => f.post(response({ state: STATE }))],
    ['not a URL', (f) => f.post('code=c&state=' + STATE)],
    ['an object', (f) => f.post({ url: genuine, state: STATE })],
  ];
  for (const [name, forge] of cases) {
    it(name, async () => {
      vi.useFakeTimers();
      const pending = loadInFrame(authorizationUrl(), 5000);
      const frame = await capture.frame();
      forge(frame);
      await vi.advanceTimersByTimeAsync(100);
      expect(capture.connected()).toBe(1);
      // The genuine answer still gets through afterwards.
      frame.post(genuine);
      await expect(pending).resolves.toBe(genuine);
      expectCleanedUp();
    });
  }

  it('a frame for a page of another origin is refused before anything loads', async () => {
    await expect(loadInFrame(authorizationUrl('https://other.test/silent'), 5000)).rejects.toMatchObject({ name: 'ConfigError', option: 'redirectUri' });
    expect(capture.frames).toHaveLength(0);
  });
});

describe('at the deadline', () => {
  it('nothing loaded: timeout, exactly at timeoutMs', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 5000);
    const settled = vi.fn();
    pending.catch(settled);
    await capture.frame();
    await vi.advanceTimersByTimeAsync(4999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).rejects.toMatchObject({ name: 'NetworkError', code: 'timeout', message: 'silent sign-in: no answer within 5000 ms' });
    expectCleanedUp();
  });

  it('a page it cannot read stayed (framing refused, or the provider showed a page): silent_unavailable, explained', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 3000);
    const frame = await capture.frame();
    frame.load('foreign');
    vi.advanceTimersByTime(3000);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AuthError', code: 'silent_unavailable' });
    expect((error as Error).message).toMatch(/X-Frame-Options.*frame-ancestors/);
    expect((error as Error).message).toMatch(/refresh tokens.*popup.*app's site/);
    expectCleanedUp();
  });

  it('the initial blank page does not count as the provider\'s', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 3000);
    (await capture.frame()).load('about:blank');
    vi.advanceTimersByTime(3000);
    await expect(pending).rejects.toMatchObject({ code: 'timeout' });
  });

  it('back on an app page that never answered (handleSilentCallback not called): a ConfigError that says so', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 3000);
    const frame = await capture.frame();
    frame.load('foreign');
    frame.load(`${APP}/silent?code=c&state=${STATE}`);
    vi.advanceTimersByTime(3000);
    await expect(pending).rejects.toMatchObject({ name: 'ConfigError', option: 'redirectUri', message: expect.stringContaining('handleSilentCallback()') });
    expectCleanedUp();
  });

  it('a late answer changes nothing', async () => {
    vi.useFakeTimers();
    const pending = loadInFrame(authorizationUrl(), 1000);
    const frame = await capture.frame();
    vi.advanceTimersByTime(1000);
    await expect(pending).rejects.toMatchObject({ code: 'timeout' });
    frame.post(response({ code: 'c', state: STATE }));
    expectCleanedUp();
  });
});

describe('abort', () => {
  it('an aborted signal: rejects with aborted, no frame', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(loadInFrame(authorizationUrl(), 5000, controller.signal)).rejects.toMatchObject({ name: 'AuthError', code: 'aborted' });
    expect(capture.frames).toHaveLength(0);
  });

  it('aborting while the frame loads: rejects at once and cleans up', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const signalListeners = vi.spyOn(controller.signal, 'removeEventListener');
    const pending = loadInFrame(authorizationUrl(), 5000, controller.signal);
    const frame = await capture.frame();
    frame.load('foreign');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'aborted' });
    expect(signalListeners).toHaveBeenCalledWith('abort', expect.any(Function));
    expectCleanedUp();
  });

  it('after the answer, the signal is let go', async () => {
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const pending = loadInFrame(authorizationUrl(), 5000, controller.signal);
    (await capture.frame()).post(response({ code: 'c', state: STATE }));
    await pending;
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    controller.abort();
    expect(capture.connected()).toBe(0);
  });
});
