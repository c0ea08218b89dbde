import { vi } from 'vitest';

// Taken before any test fakes the clock: waiting for a frame must not move a fake one.
const realSetTimeout = globalThis.setTimeout;

/** Puts the page at `url`, as a navigation to it would (happy-dom). */
export function openPage(url: string): void {
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(url);
}

/**
 * What a frame can show, as the parent sees it: the initial blank page and pages of its own origin
 * are readable, any other origin (the provider, the browser's error page) throws on `location`.
 */
export type Shown = 'about:blank' | 'foreign' | `https://${string}`;

/** A hidden frame the code under test created, with the browser's part played by the test. */
export interface FrameDouble {
  readonly element: HTMLElement & { src?: string; name?: string };
  /** Its WindowProxy: what `event.source` is for messages from the frame. */
  readonly window: object;
  /** The frame finished loading a page. */
  load(shown: Shown): void;
  /** A message from the frame's page, as the browser delivers it to the parent. */
  post(data: unknown, origin?: string, source?: unknown): void;
}

/**
 * Records every iframe the page asks for and hands it a stand-in element instead: happy-dom cannot
 * load the provider's page (and says so on a console the test cannot reach), so the test plays the
 * browser: what the frame shows, its load events, its messages. Real iframes run in the e2e suite.
 */
export function captureFrames() {
  const frames: FrameDouble[] = [];
  const tags: string[] = [];
  const create = document.createElement.bind(document);
  vi.spyOn(document, 'createElement').mockImplementation(((tag: string, options?: ElementCreationOptions) => {
    tags.push(tag);
    if (tag !== 'iframe') return create(tag, options);
    const element = create('silent-test-frame');
    let shown: Shown = 'about:blank';
    const frameWindow = {
      get location() {
        if (shown === 'foreign') throw new DOMException('Blocked a frame from accessing a cross-origin frame.', 'SecurityError');
        return { href: shown };
      },
    };
    Object.defineProperty(element, 'contentWindow', { get: () => (element.isConnected ? frameWindow : null) });
    frames.push({
      element,
      window: frameWindow,
      load(next) {
        shown = next;
        element.dispatchEvent(new Event('load'));
      },
      post(data, origin = location.origin, source = frameWindow) {
        window.dispatchEvent(new MessageEvent('message', { data, origin, source: source as Window }));
      },
    });
    return element;
  }) as typeof document.createElement);
  return {
    frames,
    tags,
    /** Resolves with the n-th frame (0-based) once it exists; waits on the real clock only. */
    async frame(n = 0): Promise<FrameDouble> {
      for (let waited = 0; !frames[n]; waited += 5) {
        if (waited > 2000) throw new Error(`no frame #${n}`);
        await new Promise((resolve) => realSetTimeout(resolve, 5));
      }
      return frames[n] as FrameDouble;
    },
    /** The frames still in the document. */
    connected: () => frames.filter((frame) => frame.element.isConnected).length,
  };
}
