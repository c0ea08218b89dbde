import { guardStorage } from '../session/guarded-storage.js';
import { indexedDbStorage } from '../platform/indexeddb.js';
import { webStorageAdapter } from '../platform/storage.js';
import { openTabChannel, type TabChannel } from '../platform/tab-channel.js';
import { randomValue } from '../protocol/login.js';
import { serializeSessionRecord, type SessionRecord } from '../session/token-set.js';
import { beaconFor, compareWithBeacon, readBeacon, writeBeacon, type Beacon, type Verdict } from './beacon.js';
import { parseTabMessage, type TabMessage } from './tab-message.js';

/** What a tab tells the others (tab-message.ts says what each means). */
export type Outgoing =
  | { type: 'hello' | 'changed' }
  | { type: 'session'; record: string }
  | { type: 'logout'; reason: 'user' | 'expired'; at: number };

/**
 * How one tab keeps in step with the app's other tabs: the channel they talk on, the beacon that says
 * which session is newest (for storage each tab keeps its own copy of), and the wait for a sibling to
 * hand over a session. What a message means for the session is the client's to decide.
 *
 * Members end in `_` because they are internal to the package: the builds shorten such names
 * (tsup.config.ts).
 */
export interface TabSync {
  /** True for sessionStorage, memory and other per-tab adapters: each tab keeps its own copy, kept in step by messages. */
  readonly perTab_: boolean;
  /** True when whole sessions travel between tabs: per-tab storage, sharing on, a channel open. */
  readonly sharing_: boolean;
  /** Opens the channel unless it is open (none outside a browser window). */
  connect_(): void;
  /** Closes the channel (the page is hidden, or the client disposed); `connect_()` opens it again. */
  close_(): void;
  post_(message: Outgoing): void;
  /** Tells the other tabs about a new session: the whole record when they keep copies, else "re-read". */
  announce_(record: SessionRecord): void;
  /** Records the newest session state (or a logout at `out`) where every tab can check it. */
  mark_(record: SessionRecord | undefined, out: number): Promise<unknown>;
  /**
   * Brings this tab's copy (`record`) in line with the beacon, read from its consistent copy under the
   * refresh lock (`locked`), else from the fast one: `ended` when the session was signed out elsewhere;
   * when a newer copy lives in another tab, that copy if a sibling hands it over within `waitMs`, else
   * `stale`; otherwise `current`.
   */
  catchUp_(record: SessionRecord | undefined, waitMs: number, locked?: boolean): Promise<Verdict | SessionRecord>;
}

/**
 * The tab link of one client.
 * @param name The channel's name, one per provider and client.
 * @param key The beacon's storage key.
 * @param hear Called with every well-formed message from another tab.
 * @param current This tab's session.
 * @param watch Subscribes to this tab's state changes, calling the listener at once too (StateHub.subscribe).
 */
export function tabSync(
  name: string,
  key: string,
  perTab: boolean,
  share: boolean,
  hear: (message: TabMessage) => unknown,
  current: () => SessionRecord | undefined,
  watch: (listener: () => void) => () => void,
): TabSync {
  const id = randomValue();
  const consistent = guardStorage(indexedDbStorage());
  const fast = guardStorage(webStorageAdapter('localStorage'));
  let channel: TabChannel | undefined;
  /**
   * Waits (at most `waitMs`) until this tab holds the session the beacon describes, asking the other
   * tabs for it unless it is already here (a message may have brought it a moment ago).
   */
  const adopt = (beacon: Beacon, waitMs: number): Promise<SessionRecord | undefined> => {
    // Set before the promise settles: its executor runs at once.
    let stop!: () => void;
    let found: SessionRecord | undefined;
    return new Promise<SessionRecord | undefined>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      // The watch checks at once (the session may already be here), then on every change.
      stop = watch(() => {
        const record = current();
        if (record?.sid === beacon.sid && record.gen >= beacon.gen) {
          clearTimeout(timer);
          resolve((found = record));
        }
      });
      if (!found) tabs.post_({ type: 'hello' });
    }).finally(() => stop());
  };
  const tabs: TabSync = {
    perTab_: perTab,
    get sharing_() {
      return perTab && share && channel !== undefined;
    },
    connect_() {
      channel ??= openTabChannel(name, (data) => {
        const message = parseTabMessage(data);
        if (message && message.from !== id) hear(message);
      });
    },
    close_() {
      channel?.close();
      channel = undefined;
    },
    post_(message) {
      channel?.postMessage({ v: 1, from: id, ...message });
    },
    announce_(record) {
      if (tabs.sharing_) tabs.post_({ type: 'session', record: serializeSessionRecord(record) });
      else if (!perTab) tabs.post_({ type: 'changed' });
    },
    mark_(record, out) {
      const beacon = beaconFor(record, out);
      return Promise.all(perTab ? [writeBeacon(fast, key, beacon), writeBeacon(consistent, key, beacon)] : []);
    },
    async catchUp_(record, waitMs, locked) {
      const beacon = await readBeacon(locked ? consistent : fast, key);
      const verdict = perTab ? compareWithBeacon(record, beacon, tabs.sharing_) : 'current';
      return (verdict === 'stale' && tabs.sharing_ && (await adopt(beacon as Beacon, waitMs))) || verdict;
    },
  };
  return tabs;
}
