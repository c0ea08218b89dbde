/**
 * Messages between the tabs of one app, over BroadcastChannel. Every browser this SDK runs in has it
 * (it needs `AbortSignal.timeout`, which came later); where it is missing all the same, tabs still
 * catch up from the storage beacon whenever they wake (see beacon.ts).
 */
/** The channel itself: `postMessage` and `close` are all the SDK uses. */
export type TabChannel = Pick<BroadcastChannel, 'postMessage' | 'close'>;

/**
 * Opens the channel `name`, or returns `undefined` outside a browser (during server-side rendering
 * every request shares one process, and its clients must not talk to each other) or without
 * BroadcastChannel. Windows and workers have `self`, an extension's service worker included, so it
 * hears the extension's pages; Node has none.
 */
export function openTabChannel(name: string, onMessage: (data: unknown) => void): TabChannel | undefined {
  if (typeof self === 'undefined' || typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event) => onMessage(event.data);
  return channel;
}
