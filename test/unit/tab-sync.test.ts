import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beaconFor } from '../../src/tabs/beacon.js';
import type { TabMessage } from '../../src/tabs/tab-message.js';
import { tabSync, type TabSync } from '../../src/tabs/tab-sync.js';
import type { SessionRecord } from '../../src/session/token-set.js';

// The tab link on its own: Node's BroadcastChannel carries messages as the browser's would (with `self` stubbed, as in a window), a Map
// stands in for localStorage (the beacon's fast copy). Node has no IndexedDB, so the consistent copy
// reads as absent: what the locked read sees proves which copy it read.
const local = new Map<string, string>();
const storage = {
  getItem: (key: string) => local.get(key) ?? null,
  setItem: (key: string, value: string) => void local.set(key, value),
  removeItem: (key: string) => void local.delete(key),
};
const KEY = 'oidc-session:v1:spa:beacon';
const record = (over: Partial<SessionRecord> = {}) =>
  ({ v: 1, issuer: 'https://op.test/', clientId: 'spa', sid: 's1', gen: 0, loginAt: 1000, accessToken: 'at', tokenType: 'Bearer', receivedAt: 1000, expiresAt: 4600, idToken: 'x.y.z', claims: { sub: 'ada' }, ...over }) as SessionRecord;

let channels = 0;
/** One tab: its link, what it heard, and its session (set by the test, as the client would). */
function tab(options: { perTab?: boolean; share?: boolean; name?: string } = {}) {
  const heard: TabMessage[] = [];
  const listeners = new Set<() => void>();
  const state = { record: undefined as SessionRecord | undefined };
  const link: TabSync = tabSync(
    options.name ?? `tab-sync-test:${channels}`,
    KEY,
    options.perTab ?? true,
    options.share ?? true,
    (message) => heard.push(message),
    () => state.record,
    (listener) => {
      listeners.add(listener);
      listener();
      return () => void listeners.delete(listener);
    },
  );
  const hold = (next: SessionRecord | undefined) => {
    state.record = next;
    for (const listener of [...listeners]) listener();
  };
  opened.push(link);
  return { link, heard, hold, listeners };
}
const opened: TabSync[] = [];
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('tabSync', () => {
  beforeAll(() => void Object.assign(globalThis, { self: globalThis, localStorage: storage }));
  afterAll(() => {
    delete (globalThis as { self?: unknown }).self;
    delete (globalThis as { localStorage?: unknown }).localStorage;
  });
  afterEach(() => {
    for (const link of opened.splice(0)) link.close_();
    local.clear();
    channels++;
  });

  it('delivers well-formed messages from other tabs only: not its own, not malformed ones', async () => {
    const a = tab();
    const b = tab();
    a.link.connect_();
    b.link.connect_();
    a.link.post_({ type: 'hello' });
    const raw = new BroadcastChannel(`tab-sync-test:${channels}`);
    raw.postMessage({ v: 1, from: 'x', type: 'logout', reason: 'because', at: 0 });
    raw.postMessage('garbage');
    raw.postMessage({ v: 1, from: 'x', type: 'changed' });
    await settle();
    raw.close();
    expect(a.heard.map((m) => m.type)).toEqual(['changed']);
    expect(b.heard.map((m) => m.type)).toEqual(['hello', 'changed']);
  });

  it('connect_() twice keeps one channel, close_() stops delivery, connect_() opens it again', async () => {
    const a = tab();
    const b = tab();
    a.link.connect_();
    a.link.connect_();
    b.link.connect_();
    a.link.post_({ type: 'changed' });
    await settle();
    expect(b.heard).toHaveLength(1);
    b.link.close_();
    a.link.post_({ type: 'changed' });
    await settle();
    expect(b.heard).toHaveLength(1);
    b.link.connect_();
    a.link.post_({ type: 'changed' });
    await settle();
    expect(b.heard).toHaveLength(2);
  });

  it('shares whole sessions only with per-tab storage, sharing on and a channel open', () => {
    const shared = tab({ perTab: false });
    const unshared = tab({ share: false });
    const perTab = tab();
    for (const { link } of [shared, unshared, perTab]) expect(link.sharing_).toBe(false);
    shared.link.connect_();
    unshared.link.connect_();
    perTab.link.connect_();
    expect([shared.link.sharing_, unshared.link.sharing_, perTab.link.sharing_]).toEqual([false, false, true]);
    perTab.link.close_();
    expect(perTab.link.sharing_).toBe(false);
  });

  it('announces a new session as the whole record when sharing, as "changed" over a shared store, else not at all', async () => {
    const listener = tab();
    listener.link.connect_();
    for (const options of [{}, { perTab: false }, { share: false }]) {
      const speaker = tab(options);
      speaker.link.connect_();
      speaker.link.announce_(record());
    }
    await settle();
    expect(listener.heard.map((m) => m.type)).toEqual(['session', 'changed']);
    expect(JSON.parse((listener.heard[0] as { record: string }).record)).toMatchObject({ sid: 's1', accessToken: 'at' });
  });

  it('marks the beacon only for per-tab storage, and never with a token in it', async () => {
    await tab({ perTab: false }).link.mark_(record(), 0);
    expect(local.has(KEY)).toBe(false);
    await tab().link.mark_(record({ gen: 3 }), 0);
    expect(JSON.parse(local.get(KEY) as string)).toEqual(beaconFor(record({ gen: 3 }), 0));
    expect(local.get(KEY)).not.toContain('at"');
  });

  describe('catchUp_', () => {
    const mark = (over: Partial<SessionRecord>, out = 0) => local.set(KEY, JSON.stringify(beaconFor(record(over), out)));

    it('is current without a beacon, over a shared store, or when this copy is the newest', async () => {
      expect(await tab().link.catchUp_(record(), 10)).toBe('current');
      mark({ gen: 5 });
      expect(await tab({ perTab: false }).link.catchUp_(record(), 10)).toBe('current');
      expect(await tab().link.catchUp_(record({ gen: 5 }), 10)).toBe('current');
    });

    it('is ended when the session was signed out after this copy began', async () => {
      mark({}, 2000);
      expect(await tab().link.catchUp_(record(), 10)).toBe('ended');
      expect(await tab().link.catchUp_(record({ sid: 's2', loginAt: 3000 }), 10)).toBe('current');
    });

    it('takes the newer copy a sibling hands over within the wait, asking with one hello', async () => {
      mark({ gen: 2 });
      const sibling = tab();
      sibling.link.connect_();
      const behind = tab();
      behind.link.connect_();
      behind.hold(record());
      const caught = behind.link.catchUp_(record(), 1000);
      await settle();
      expect(sibling.heard.map((m) => m.type)).toEqual(['hello']);
      // The client adopts what the sibling sent; the link sees it through the watch.
      behind.hold(record({ gen: 2 }));
      expect(await caught).toMatchObject({ sid: 's1', gen: 2 });
      expect(behind.listeners.size).toBe(0);
    });

    it('does not ask when the newer copy is already here', async () => {
      mark({ gen: 2 });
      const sibling = tab();
      sibling.link.connect_();
      const current = tab();
      current.link.connect_();
      current.hold(record({ gen: 2 }));
      expect(await current.link.catchUp_(record(), 1000)).toMatchObject({ gen: 2 });
      await settle();
      expect(sibling.heard).toEqual([]);
    });

    it('is stale when no sibling answers in time, or when sessions are not shared', async () => {
      mark({ gen: 2 });
      const alone = tab();
      alone.link.connect_();
      const started = Date.now();
      expect(await alone.link.catchUp_(record(), 50)).toBe('stale');
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      expect(alone.listeners.size).toBe(0);
      const unshared = tab({ share: false });
      unshared.link.connect_();
      expect(await unshared.link.catchUp_(record(), 1000)).toBe('stale');
    });

    it('reads the consistent copy under the lock, not the fast one', async () => {
      mark({}, 2000);
      expect(await tab().link.catchUp_(record(), 10)).toBe('ended');
      // Node has no IndexedDB: the consistent copy is absent, so the fast copy's logout is not seen.
      expect(await tab().link.catchUp_(record(), 10, true)).toBe('current');
    });
  });
});
