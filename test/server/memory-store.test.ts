// Memory store eviction and the per-user session cap (issue 12 §1, "Memory store eviction"). OWASP
// Session Management Cheat Sheet (session expiration; simultaneous sessions): a full store drops what
// is expired first, then what was used least recently, and never half a session (its tokens without its
// session entry, or the reverse); one account cannot hold more than `maxSessionsPerUser` live sessions,
// so replaying logins cannot push other users out. Siblings: reads and touches count as use; expired
// entries go even when used recently; the cap counts only live sessions; logout leaves no index behind.
import { describe, expect, test } from 'vitest';
import { memoryStore } from '../../src/server/stores/memory.js';
import { resolveServerOptions } from '../../src/server/options.js';
import { RelyingParty, type ServerTokens } from '../../src/server/relying-party.js';
import { DEFAULT_MAX_SESSIONS_PER_USER } from '../../src/server/options.js';
import { Sessions } from '../../src/server/sessions.js';
import type { SessionStore } from '../../src/server/stores/store.js';
import { SECRET, call, fakeClock, login, sessionCookie, type App } from './harness.js';
import { openKind, worldForFile, type OpenStore } from './stores.js';
import { afterAll, beforeAll } from 'vitest';

const HOUR = 3_600_000;

async function present(store: SessionStore, keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const key of keys) if ((await store.get(key)) !== undefined) out.push(key);
  return out;
}

describe('memoryStore eviction', () => {
  test('expired entries go first, even when they are the most recently written', async () => {
    const clock = fakeClock();
    const store = memoryStore({ now: clock.now, maxEntries: 4 });
    for (const key of ['s:a', 's:b', 's:c']) await store.set(key, 'v', HOUR);
    await store.set('s:short', 'v', 1_000);
    clock.advance(2_000);
    await store.set('s:new', 'v', HOUR);
    expect(await present(store, ['s:a', 's:b', 's:c', 's:new'])).toEqual(['s:a', 's:b', 's:c', 's:new']);
    expect(await store.get('s:short')).toBeUndefined();
  });

  test('one-time login claims (c:) go before any session, however recently written: a flood of callbacks cannot sign users out', async () => {
    const store = memoryStore({ maxEntries: 4 });
    for (const key of ['s:a', 't:a', 's:b']) await store.set(key, 'v', HOUR);
    for (let i = 0; i < 50; i++) expect(await store.lock(`c:claim${i}`, HOUR)).toBeTypeOf('function');
    expect(await present(store, ['s:a', 't:a', 's:b'])).toEqual(['s:a', 't:a', 's:b']);
    // The newest claim is kept (it is the one being made), the older ones made room.
    expect(await store.get('c:claim49')).toBeDefined();
    expect(await store.get('c:claim0')).toBeUndefined();
  });

  test('then the least recently used: a get, a touch or an update counts as use', async () => {
    const store = memoryStore({ maxEntries: 4 });
    for (const key of ['s:a', 's:b', 's:c', 's:d']) await store.set(key, 'v', HOUR);
    await store.get('s:a');
    await store.touch('s:b', HOUR);
    await store.update('s:c', 'w', HOUR);
    await store.set('s:e', 'v', HOUR);
    expect(await present(store, ['s:a', 's:b', 's:c', 's:d', 's:e'])).toEqual(['s:a', 's:b', 's:c', 's:e']);
  });

  test('entries that belong together (same suffix: s:, t:, l: of one session) are evicted together', async () => {
    const store = memoryStore({ maxEntries: 6 });
    // Tokens written first, as Sessions does: by insertion order they would go alone.
    await store.set('t:one', 'v', HOUR);
    await store.set('s:one', 'v', HOUR);
    for (const id of ['two', 'three']) {
      await store.set(`t:${id}`, 'v', HOUR);
      await store.set(`s:${id}`, 'v', HOUR);
    }
    // Never half a session: its tokens and its session entry are both there or both gone, after every write.
    const whole = async (ids: string[]) => {
      for (const id of ids) expect((await present(store, [`s:${id}`, `t:${id}`])).length, id).not.toBe(1);
    };
    for (let i = 0; i < 20; i++) {
      const done = ['one', 'two', 'three', ...Array.from({ length: i }, (_, j) => `x${j}`)];
      await store.set(`t:x${i}`, 'v', HOUR);
      await whole(done);
      await store.set(`s:x${i}`, 'v', HOUR);
      await whole([...done, `x${i}`]);
    }
    expect(await present(store, ['s:x19', 't:x19'])).toEqual(['s:x19', 't:x19']);
  });

  test('a group used recently keeps all its entries when others are evicted', async () => {
    const store = memoryStore({ maxEntries: 5 });
    await store.set('t:kept', 'v', HOUR);
    await store.set('s:kept', 'v', HOUR);
    for (let i = 0; i < 10; i++) {
      await store.set(`s:other${i}`, 'v', HOUR);
      // Reading the session entry only (as every request does) keeps its tokens too.
      expect(await store.get('s:kept')).toBe('v');
    }
    expect(await store.get('t:kept')).toBe('v');
  });
});

/** Sessions over a memory store, no provider: `create` and `read` never call it. */
function sessionsOver(store: SessionStore, clock = fakeClock()) {
  const options = resolveServerOptions({ issuer: 'https://op.test', clientId: 'c', appUrl: 'https://app.test', clientSecret: 'a-client-secret', secret: SECRET, store, now: clock.now });
  return new Sessions(options, new RelyingParty(options));
}

const tokens: ServerTokens = { accessToken: 'at', tokenType: 'Bearer', expiresAt: 0, refreshToken: 'rt' };
const user = (sub: string) => ({ sub, iss: 'https://op.test', aud: 'c', iat: 1, exp: 2 });

describe('the per-user cap and a full memory store', () => {
  test(`one account logging in again and again keeps at most ${DEFAULT_MAX_SESSIONS_PER_USER} sessions and pushes nobody out`, async () => {
    // Room for the cap's worth of one user and a few others, not for 200 logins of one user.
    const store = memoryStore({ maxEntries: 2 * DEFAULT_MAX_SESSIONS_PER_USER + 20 });
    const sessions = sessionsOver(store);
    const bob = (await sessions.create(user('bob'), tokens)).cookie;
    const ada: string[] = [];
    for (let i = 0; i < 200; i++) ada.push((await sessions.create(user('ada'), tokens)).cookie);
    // Bob never used his session in between, and it is still there, tokens included.
    const found = await sessions.read(bob);
    expect(found?.session.user.sub).toBe('bob');
    expect((await sessions.tokens(found!.session)).accessToken).toBe('at');
    // Ada's newest sessions live, her oldest ended.
    const live = [];
    for (const id of ada) if (await sessions.read(id)) live.push(id);
    expect(live).toEqual(ada.slice(-DEFAULT_MAX_SESSIONS_PER_USER));
  });

  test('a configured cap (maxSessionsPerUser: 3): the fourth login ends the first, other users untouched', async () => {
    const store = memoryStore();
    const options = resolveServerOptions({ issuer: 'https://op.test', clientId: 'c', appUrl: 'https://app.test', clientSecret: 'a-client-secret', secret: SECRET, store });
    const sessions = new Sessions({ ...options, maxSessionsPerUser: 3 } as typeof options, new RelyingParty(options));
    const bob = (await sessions.create(user('bob'), tokens)).cookie;
    const ada = [];
    for (let i = 0; i < 4; i++) ada.push((await sessions.create(user('ada'), tokens)).cookie);
    const live = [];
    for (const id of ada) live.push((await sessions.read(id)) !== undefined);
    expect(live).toEqual([false, true, true, true]);
    expect(await sessions.read(bob)).toBeDefined();
  });

  test('the cap counts live sessions only: logged-out sessions do not push a live one out', async () => {
    const store = memoryStore();
    const sessions = sessionsOver(store);
    const laptop = (await sessions.create(user('ada'), tokens)).cookie;
    for (let i = 0; i < 2 * DEFAULT_MAX_SESSIONS_PER_USER; i++) await sessions.destroy((await sessions.create(user('ada'), tokens)).cookie);
    expect(await sessions.read(laptop)).toBeDefined();
  });

  test('the cap counts live sessions only: sessions past their absolute timeout leave the count', async () => {
    const clock = fakeClock();
    const store = memoryStore({ now: clock.now });
    const sessions = sessionsOver(store, clock);
    for (let i = 0; i < DEFAULT_MAX_SESSIONS_PER_USER; i++) await sessions.create(user('ada'), tokens);
    clock.advance(8 * 24 * HOUR);
    const later = [];
    for (let i = 0; i < DEFAULT_MAX_SESSIONS_PER_USER; i++) later.push((await sessions.create(user('ada'), tokens)).cookie);
    for (const id of later) expect(await sessions.read(id)).toBeDefined();
  });
});

const file = worldForFile();

describe.each(['memory', 'redis'] as const)('the per-user cap through the routes with the %s store', (kind) => {
  let opened: OpenStore;
  let app: App;
  beforeAll(async () => {
    opened = await openKind(kind, file.redis);
    app = await file.world.startApp({ store: opened.store });
  });
  afterAll(async () => {
    await app?.close();
    await opened?.close();
  });

  test(`login number ${DEFAULT_MAX_SESSIONS_PER_USER + 1} of one user ends that user's oldest session, and only it`, async () => {
    const jars = [];
    for (let i = 0; i <= DEFAULT_MAX_SESSIONS_PER_USER; i++) jars.push((await login(file.world)).jar);
    expect((await call(file.world, jars[0]!, '/auth/session')).status).toBe(401);
    for (const jar of jars.slice(1)) expect((await call(file.world, jar, '/auth/session')).status, sessionCookie(jar)).toBe(200);
    // Logging every one out leaves nothing behind: no session, no tokens, no per-user index.
    for (const jar of jars.slice(1)) expect((await call(file.world, jar, '/auth/logout', { method: 'POST', csrf: true })).status).toBe(200);
    // (`c:` entries are the callback's single-use records of redeemed states; they expire by themselves.)
    expect(((await opened.keys?.()) ?? []).filter((key) => !key.startsWith('c:'))).toEqual([]);
  }, 60_000);
});
