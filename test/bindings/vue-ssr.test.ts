// Server-side rendering: plain Node, no DOM. The client is a trap: touching any of its members fails the test.
import { describe, expect, it } from 'vitest';
import { createSSRApp, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import { createAuth, createAuthGuard, useAuth } from '../../src/bindings/vue.js';
import type { SessionClient } from '../../src/bindings/session-client.js';

function trapClient(): { client: SessionClient; touched: PropertyKey[] } {
  const touched: PropertyKey[] = [];
  const client = new Proxy({} as SessionClient, {
    get(_target, key) {
      touched.push(key);
      if (key === 'then') return undefined;
      // Looks like a client to the binding's check, but every call is recorded as a touch.
      return () => {
        throw new Error(`client.${String(key)}() called during SSR`);
      };
    },
  });
  return { client, touched };
}

const Status = defineComponent({
  setup() {
    const { state, isLoading, isAuthenticated, user } = useAuth();
    return () => h('p', `${state.value.status}|${isLoading.value}|${isAuthenticated.value}|${user.value?.sub ?? '-'}`);
  },
});

describe('Vue binding during server-side rendering', () => {
  it('runs without a window', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('renders loading and never calls the client', async () => {
    const { client, touched } = trapClient();
    const html = await renderToString(createSSRApp(Status).use(createAuth(client)));
    expect(html).toBe('<p>loading|true|false|-</p>');
    // The binding only checks that it was given a client (typeof client.subscribe etc.): no call.
    expect(touched.filter((key) => !['subscribe', 'handleRedirect', 'login'].includes(String(key)))).toEqual([]);
  });

  it('the guard refuses a protected route on the server without touching the client', async () => {
    const { client } = trapClient();
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', component: Status },
        { path: '/account', component: Status, meta: { requiresAuth: true } },
      ],
    });
    router.beforeEach(createAuthGuard(client));
    const app = createSSRApp(RouterView).use(router).use(createAuth(client));
    await router.push('/account');
    expect(router.currentRoute.value.fullPath).toBe('/');
    await router.push('/');
    expect(await renderToString(app)).toBe('<p>loading|true|false|-</p>');
  });
});
