// @vitest-environment happy-dom
// Session-server mode learning that the server ended the session: a visible tab asks every
// sessionCheckSeconds (a background check, which does not slide the idle timeout), a hidden one does
// not, and the logout event says why.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthClient, ConfigError } from '../../src/server-mode.js';

const user = { sub: 'ada' };

/** A fake session server: alive until `end(reason)`; records the session requests it gets. */
function fakeServer(expiresIn = 3_600_000) {
  const asked: string[] = [];
  let ended: { reason?: string } | undefined;
  const fetch: typeof globalThis.fetch = async (input) => {
    const path = String(input);
    if (!path.includes('/session')) return new Response(null, { status: 404 });
    asked.push(path);
    if (ended) return Response.json({ error: 'login_required', ...ended }, { status: 401 });
    return Response.json({ user, expiresAt: Date.now() + expiresIn });
  };
  return { fetch, asked, end: (reason?: string) => void (ended = reason === undefined ? {} : { reason }) };
}

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
}

async function signedIn(client: AuthClient): Promise<void> {
  expect(await client.getUser()).toEqual(user);
  expect(client.state.status).toBe('authenticated');
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
  setVisibility('visible');
});
afterEach(() => vi.useRealTimers());

describe('session-server mode: a session the server ended', () => {
  for (const reason of ['provider', 'ended'] as const) {
    it(`a visible tab sees it within sessionCheckSeconds, as a logout with reason ${reason}`, async () => {
      const server = fakeServer();
      const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: 10 });
      const logouts: unknown[] = [];
      client.on('logout', (event) => void logouts.push(event));
      await signedIn(client);
      server.end(reason);
      await vi.advanceTimersByTimeAsync(9_000);
      expect(client.state.status).toBe('authenticated');
      await vi.advanceTimersByTimeAsync(1_500);
      expect(client.state.status).toBe('anonymous');
      expect(logouts).toEqual([{ reason, remote: true }]);
      // The periodic checks are background checks: they do not keep the session alive.
      expect(server.asked.slice(1)).toEqual(['/auth/session?background=1']);
      client.dispose();
    });
  }

  it('asks at the period while signed in, not faster; not at all once signed out', async () => {
    const server = fakeServer();
    const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: 5 });
    await signedIn(client);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.asked.length - 1).toBe(6);
    server.end('provider');
    await vi.advanceTimersByTimeAsync(5_000);
    const after = server.asked.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.asked.length).toBe(after);
    client.dispose();
  });

  it('a hidden tab does not ask; shown again, it asks at once', async () => {
    const server = fakeServer();
    const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: 5 });
    await signedIn(client);
    setVisibility('hidden');
    server.end('provider');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.asked).toHaveLength(1);
    expect(client.state.status).toBe('authenticated');
    setVisibility('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(10);
    expect(client.state.status).toBe('anonymous');
    client.dispose();
  });

  it('a session that timed out is a logout with reason expired', async () => {
    const server = fakeServer(20_000);
    const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: 30 });
    const reasons: string[] = [];
    client.on('logout', (event) => void reasons.push(event.reason));
    await signedIn(client);
    server.end();
    await vi.advanceTimersByTimeAsync(30_500);
    expect(reasons).toEqual(['expired']);
    client.dispose();
  });

  it('sessionCheckSeconds false: no periodic checks', async () => {
    const server = fakeServer();
    const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: false });
    await signedIn(client);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(server.asked).toEqual(['/auth/session']);
    client.dispose();
  });

  it('a reason the server does not define, before the session would end, is a plain logout', async () => {
    const server = fakeServer();
    const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: 5 });
    const reasons: string[] = [];
    client.on('logout', (event) => void reasons.push(event.reason));
    await signedIn(client);
    server.end('<img src=x>');
    await vi.advanceTimersByTimeAsync(5_500);
    expect(reasons).toEqual(['user']);
    client.dispose();
  });

  it('dispose() stops the checks', async () => {
    const server = fakeServer();
    const client = new AuthClient({ sessionServer: '/auth', fetch: server.fetch, sessionCheckSeconds: 5 });
    await signedIn(client);
    client.dispose();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.asked).toHaveLength(1);
  });

  it('refuses a sessionCheckSeconds that is not seconds (1 or more) or false', () => {
    for (const value of [0, -1, 0.5, Number.NaN, Infinity, '10', true]) {
      expect(() => new AuthClient({ sessionServer: '/auth', sessionCheckSeconds: value as never })).toThrow(ConfigError);
    }
    expect(() => new AuthClient({ sessionServer: '/auth', sessionCheckSeconds: false })).not.toThrow();
  });
});
