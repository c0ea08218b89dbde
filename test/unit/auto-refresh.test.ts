import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setup } from './harness.js';

describe('autoRefresh', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => void vi.useRealTimers());

  /** Moves the client's clock and the timers together. */
  const advance = async (clock: { advance: (ms: number) => void }, ms: number) => {
    clock.advance(ms);
    await vi.advanceTimersByTimeAsync(ms);
  };

  it('renews the token when it falls due, once, and again for the next token', async () => {
    const { clock, provider, signIn } = await setup({ accessTokenTtl: 600 }, { autoRefresh: true });
    await signIn();
    await advance(clock, 600_000 - 31_000);
    expect(provider.count('/token', 'refresh_token')).toBe(0);
    await advance(clock, 2_000);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    await advance(clock, 600_000 - 29_000);
    expect(provider.count('/token', 'refresh_token')).toBe(2);
  });

  it('renews a token the provider says lives 10 days after a day (expires_in is bounded at a day)', async () => {
    const { clock, provider, signIn } = await setup({ accessTokenTtl: 10 * 86_400 }, { autoRefresh: true });
    await signIn();
    await advance(clock, 86_400_000 - 31_000);
    expect(provider.count('/token', 'refresh_token')).toBe(0);
    await advance(clock, 2_000);
    expect(provider.count('/token', 'refresh_token')).toBe(1);
    await advance(clock, 86_400_000 - 29_000);
    expect(provider.count('/token', 'refresh_token')).toBe(2);
  });

  it('retries every 30 seconds while the provider is unreachable, not in a loop', async () => {
    const { clock, provider, signIn } = await setup({ accessTokenTtl: 600 }, { autoRefresh: true });
    await signIn();
    provider.hooks.token = () => Promise.reject(new TypeError('offline'));
    await advance(clock, 600_000 - 29_000);
    const attempts = provider.count('/token', 'refresh_token');
    expect(attempts).toBe(1);
    await advance(clock, 30_000);
    await advance(clock, 30_000);
    expect(provider.count('/token', 'refresh_token')).toBe(attempts + 2);
  });

  it('stops when the client is disposed', async () => {
    const { clock, provider, signIn, client } = await setup({ accessTokenTtl: 600 }, { autoRefresh: true });
    await signIn();
    client.dispose();
    await advance(clock, 3_600_000);
    expect(provider.count('/token', 'refresh_token')).toBe(0);
  });

  it('is off by default: tokens renew on demand', async () => {
    const { clock, provider, signIn } = await setup({ accessTokenTtl: 600 });
    await signIn();
    await advance(clock, 3_600_000);
    expect(provider.count('/token', 'refresh_token')).toBe(0);
  });
});
