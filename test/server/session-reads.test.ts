// Sessions.read hands out one Session object per stored entry while the entry is unchanged (the
// proxy reads the session on every request: bench:server). Siblings of the shortcut that must not
// change what a read says: two sessions with the same stored text (one user, one instant) stay two
// sessions with their own ids and tokens; a slide, a logout, an expiry and a session ended from
// elsewhere are seen at the very next read; the shared object cannot be changed by one reader for the next.
import { describe, expect, test } from 'vitest';
import { memoryStore } from '../../src/server/stores/memory.js';
import { resolveServerOptions } from '../../src/server/options.js';
import { RelyingParty, type ServerTokens } from '../../src/server/relying-party.js';
import { Sessions } from '../../src/server/sessions.js';
import { SECRET, fakeClock } from './harness.js';

const MINUTE = 60_000;

function sessionsOver(clock = fakeClock(), store = memoryStore({ now: clock.now })) {
  const options = resolveServerOptions({ issuer: 'https://op.test', clientId: 'c', appUrl: 'https://app.test', clientSecret: 'a-client-secret', secret: SECRET, store, now: clock.now, idleTimeoutSeconds: 3600 });
  return { sessions: new Sessions(options, new RelyingParty(options)), store, clock };
}

const user = { sub: 'ada', iss: 'https://op.test', aud: 'c', iat: 1, exp: 2 };
const tokens = (accessToken: string): ServerTokens => ({ accessToken, tokenType: 'Bearer', expiresAt: 0 });

describe('a session read again', () => {
  test('is the same frozen object while its entry is unchanged, and a reader cannot change it', async () => {
    const { sessions } = sessionsOver();
    const { cookie } = await sessions.create(user, tokens('at'));
    const first = (await sessions.read(cookie))!.session;
    const second = (await sessions.read(cookie))!.session;
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { expiresAt: number }).expiresAt = 0;
    }).toThrow(TypeError);
    expect((await sessions.read(cookie))!.session.expiresAt).toBeGreaterThan(Date.now());
  });

  test('two sessions with the same stored text (one user, one instant) keep their own ids and tokens', async () => {
    const clock = { now: () => 1_900_000_000_000 };
    const { sessions } = sessionsOver({ ...clock, advance: () => undefined });
    const one = await sessions.create(user, tokens('token-one'));
    const two = await sessions.create(user, tokens('token-two'));
    for (let i = 0; i < 3; i++) {
      for (const [created, accessToken] of [[one, 'token-one'], [two, 'token-two']] as const) {
        const read = (await sessions.read(created.cookie))!.session;
        expect(read.id).toBe(created.cookie);
        expect((await sessions.tokens(read)).accessToken).toBe(accessToken);
      }
    }
  });

  test('a slide gives the new expiry at once; the session before it still finds its tokens', async () => {
    const { sessions, clock } = sessionsOver();
    const { cookie } = await sessions.create(user, tokens('at'));
    const before = (await sessions.read(cookie))!.session;
    clock.advance(10 * MINUTE);
    const after = (await sessions.read(cookie))!.session;
    expect(after).not.toBe(before);
    expect(after.expiresAt).toBeGreaterThanOrEqual(before.expiresAt + 10 * MINUTE);
    // Read back from the entry the slide wrote: equal, and then one object again.
    const reread = (await sessions.read(cookie))!.session;
    expect(reread).toEqual(after);
    expect((await sessions.read(cookie))!.session).toBe(reread);
    expect((await sessions.tokens(before)).accessToken).toBe('at');
  });

  test('logout, the idle timeout and a session ended elsewhere are seen at the next read', async () => {
    const { sessions, clock } = sessionsOver();
    const loggedOut = await sessions.create(user, tokens('a'));
    const idle = await sessions.create({ ...user, sub: 'bob' }, tokens('b'));
    const ended = await sessions.create({ ...user, sub: 'eve' }, tokens('e'));
    for (const { cookie } of [loggedOut, idle, ended]) expect(await sessions.read(cookie)).toBeDefined();
    const session = (await sessions.read(loggedOut.cookie))!.session;
    await sessions.destroy(loggedOut.cookie);
    expect(await sessions.read(loggedOut.cookie)).toBeUndefined();
    await expect(sessions.tokens(session)).rejects.toThrow(/no tokens/);
    expect(await sessions.endSessions({ sub: 'eve' }, 'ended')).toBe(1);
    expect(await sessions.read(ended.cookie)).toBeUndefined();
    await sessions.read(idle.cookie, false);
    clock.advance(3601 * 1000);
    expect(await sessions.read(idle.cookie)).toBeUndefined();
  });
});
