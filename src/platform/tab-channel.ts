/**
 * Messages between the tabs of one app: BroadcastChannel where it exists, otherwise `storage` events
 * on localStorage. The fallback passes through localStorage, so it must never carry tokens:
 * `carriesSecrets` tells the caller which one it got.
 */
export interface TabChannel {
  readonly carriesSecrets: boolean;
  post(message: object): void;
  close(): void;
}

/**
 * Opens the channel `name`, or returns `undefined` outside a browser window: during server-side
 * rendering every request shares one process, and its clients must not talk to each other.
 */
export function openTabChannel(name: string, onMessage: (data: unknown) => void): TabChannel | undefined {
  if (typeof window === 'undefined') return undefined;
  if (typeof BroadcastChannel === 'function') {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (event) => onMessage(event.data);
    return { carriesSecrets: true, post: (message) => channel.postMessage(message), close: () => channel.close() };
  }
  if (typeof localStorage === 'undefined') return undefined;
  const listener = (event: StorageEvent) => {
    if (event.key !== name || !event.newValue) return;
    try {
      onMessage(JSON.parse(event.newValue));
    } catch {
      // not ours, or not JSON: ignore
    }
  };
  addEventListener('storage', listener);
  return {
    carriesSecrets: false,
    post: (message) => {
      try {
        // Other tabs see the write as a storage event; removing it at once leaves nothing behind.
        localStorage.setItem(name, JSON.stringify(message));
        localStorage.removeItem(name);
      } catch {
        // storage blocked: tabs fall back to checking on wake-up
      }
    },
    close: () => removeEventListener('storage', listener),
  };
}
