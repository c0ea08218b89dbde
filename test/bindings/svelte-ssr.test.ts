// Server-side rendering: plain Node, no DOM. The client is a trap that records every member read.
import { describe, expect, it } from 'vitest';
import { authStore, requireAuth } from '../../src/bindings/svelte.js';
import type { SessionClient } from '../../src/bindings/session-client.js';
import { loadComponent, svelteModule } from '../frameworks/svelte/compile-component.js';

function trapClient(): { client: SessionClient; calls: string[] } {
  const calls: string[] = [];
  const client = new Proxy({} as SessionClient, {
    get(_target, key) {
      if (key === 'then') return undefined;
      return (..._args: unknown[]) => {
        calls.push(String(key));
        throw new Error(`client.${String(key)}() called during SSR`);
      };
    },
  });
  return { client, calls };
}

describe('Svelte binding during server-side rendering', () => {
  it('runs without a window', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('a component renders loading, and the client is never called', async () => {
    const Status = await loadComponent(
      `<script>
        let { auth } = $props();
      </script>
      <p>{$auth.state.status}|{$auth.isLoading}|{$auth.isAuthenticated}|{$auth.user?.sub ?? '-'}</p>`,
      'server',
    );
    const { render } = (await import(/* @vite-ignore */ svelteModule('server', 'svelte/server'))) as typeof import('svelte/server');
    const { client, calls } = trapClient();
    const { body } = render(Status as Parameters<typeof render>[0], { props: { auth: authStore(client) } } as never);
    expect(body).toContain('<p>loading|true|false|-</p>');
    expect(calls).toEqual([]);
  });

  it('requireAuth() resolves false at once without calling the client', async () => {
    const { client, calls } = trapClient();
    await expect(requireAuth(client, '/account')).resolves.toBe(false);
    expect(calls).toEqual([]);
  });
});
