/**
 * Page lifecycle hooks for cross-tab state.
 *
 * `onWake` runs whenever the page may have missed time or messages: it became visible, was restored
 * from the back-forward cache, came back online or got focus. Timers are throttled or frozen in hidden
 * tabs and during sleep, so these are the moments to check the session.
 *
 * `onFreeze` runs when the page enters the back-forward cache. Chrome evicts a cached page that would
 * receive a BroadcastChannel message, so the channel must be closed there and reopened on wake.
 *
 * Returns the function that removes the hooks.
 */
export function onPageWake(onWake: () => void, onFreeze: () => void): () => void {
  if (typeof addEventListener !== 'function' || typeof document === 'undefined') return () => undefined;
  const handlers: Array<[EventTarget, string, (event: Event) => void]> = [
    [document, 'visibilitychange', () => document.visibilityState === 'visible' && onWake()],
    [globalThis, 'pageshow', (event) => (event as PageTransitionEvent).persisted && onWake()],
    [globalThis, 'pagehide', (event) => (event as PageTransitionEvent).persisted && onFreeze()],
    [globalThis, 'online', onWake],
    [globalThis, 'focus', onWake],
  ];
  for (const [target, type, handler] of handlers) target.addEventListener(type, handler);
  return () => {
    for (const [target, type, handler] of handlers) target.removeEventListener(type, handler);
  };
}
