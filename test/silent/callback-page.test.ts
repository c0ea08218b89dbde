// @vitest-environment happy-dom
// The silent-callback page: it hands the response to its parent only inside the silent frame, only to
// its own origin, and never starts anything else.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handleSilentCallback } from '../../src/silent/index.js';
import { FRAME_NAME } from '../../src/silent/response.js';
import { openPage } from './frame-double.js';

const RESPONSE = 'https://rp.test/silent?code=c&state=s&iss=https%3A%2F%2Fop.test';
let parent: { postMessage: ReturnType<typeof vi.fn> };
// happy-dom keeps `parent` on the window itself: put it back exactly as it was.
const ownParent = Object.getOwnPropertyDescriptor(window, 'parent');

/** This page in a frame (named `name`) of a parent window. */
function framed(name: string) {
  parent = { postMessage: vi.fn() };
  Object.defineProperty(window, 'parent', { value: parent, configurable: true });
  window.name = name;
}

beforeEach(() => openPage(RESPONSE));
afterEach(() => {
  if (ownParent) Object.defineProperty(window, 'parent', ownParent);
  else Reflect.deleteProperty(window, 'parent');
  window.name = '';
  vi.restoreAllMocks();
});

describe('handleSilentCallback()', () => {
  it('in the silent frame with a response: posts the URL to the parent, for this origin only, and returns true', () => {
    framed(FRAME_NAME);
    expect(handleSilentCallback()).toBe(true);
    expect(parent.postMessage).toHaveBeenCalledTimes(1);
    expect(parent.postMessage).toHaveBeenCalledWith(RESPONSE, 'https://rp.test');
  });

  it('an error response is handed over too', () => {
    openPage('https://rp.test/silent?error=login_required&state=s');
    framed(FRAME_NAME);
    expect(handleSilentCallback()).toBe(true);
    expect(parent.postMessage).toHaveBeenCalledWith('https://rp.test/silent?error=login_required&state=s', 'https://rp.test');
  });

  it('a top-level page (an ordinary redirect login): false, nothing posted', () => {
    const post = vi.spyOn(window, 'postMessage');
    expect(window.parent).toBe(window);
    expect(handleSilentCallback()).toBe(false);
    expect(post).not.toHaveBeenCalled();
  });

  it('a frame of another name (the app itself embedded): false', () => {
    framed('portal-widget');
    expect(handleSilentCallback()).toBe(false);
    expect(parent.postMessage).not.toHaveBeenCalled();
  });

  for (const url of ['https://rp.test/silent', 'https://rp.test/silent?state=s', 'https://rp.test/silent?code=c']) {
    it(`the silent frame, but no login response (${new URL(url).search || 'no query'}): false`, () => {
      openPage(url);
      framed(FRAME_NAME);
      expect(handleSilentCallback()).toBe(false);
      expect(parent.postMessage).not.toHaveBeenCalled();
    });
  }

  it('does not touch the address bar or storage: the parent redeems the code', () => {
    framed(FRAME_NAME);
    const replace = vi.spyOn(history, 'replaceState');
    const keys = Object.keys(sessionStorage).length;
    handleSilentCallback();
    expect(location.href).toBe(RESPONSE);
    expect(replace).not.toHaveBeenCalled();
    expect(Object.keys(sessionStorage).length).toBe(keys);
  });
});
