// The proxy section's configurations: what runs for each, which request autocannon sends, and a check
// before the load that the request is forwarded as it should be (and refused when it should be), so
// the numbers are those of working proxies. The apps are registered with apps.mjs, whose startApp()
// and killAll() then cover them like the session-lookup apps.
import { randomBytes } from 'node:crypto';
import { APPS, startApp } from './apps.mjs';
import { loginCookie } from './login.mjs';

Object.assign(APPS, {
  'upstream-api': new URL('./upstream-api.mjs', import.meta.url),
  'plain-proxy': new URL('./app-plain-proxy.mjs', import.meta.url),
  'oidc-proxy': new URL('./app-oidc-proxy.mjs', import.meta.url),
});

/** In table order; `plain-http` is the reference the target is measured against. */
export const PROXY_CONFIGS = ['direct', 'plain-http', 'plain-fetch', 'oidc-session'];
export const PROXY_REFERENCE = 'plain-http';
export const PROXY_LABELS = {
  direct: 'direct call to the upstream API',
  'plain-http': 'plain reverse proxy, http.request',
  'plain-fetch': 'plain reverse proxy, fetch',
  'oidc-session': 'oidc-session proxy, memoryStore()',
};

/** The configuration `BENCH_COMPARE_DIST` adds: the session server's proxy from another build, interleaved with this one's. */
export const PROXY_COMPARE = 'oidc-session-compare';

/** Adds {@link PROXY_COMPARE} to the table, labelled with the build's directory. */
export function addCompareConfig(dir) {
  PROXY_CONFIGS.push(PROXY_COMPARE);
  PROXY_LABELS[PROXY_COMPARE] = `oidc-session proxy, ${dir}`;
}

// What the session server's browser client sends on every proxied call.
const CSRF = { 'x-oidc-session': '1' };
/** A cookie of the session cookie's size for the plain proxies, which must drop it like ours does. */
const lookalikeCookie = () => `__Host-oidc-session=${randomBytes(32).toString('base64url')}`;

const check = async (url, headers, expected, what) => {
  const response = await fetch(url, { headers, redirect: 'manual' });
  const body = await response.text();
  if (response.status !== expected) throw new Error(`${what}: ${url} answered ${response.status} ${body.slice(0, 200)}, expected ${expected}`);
};

/**
 * Starts what `name` needs in front of the running upstream (nothing for the direct call) and checks it.
 * @param {string} name One of PROXY_CONFIGS.
 * @param {{ port: number, appOrigin: string, upstream: string, cpuProfDir?: string, oidc: object }} context
 *   `upstream` is the API's base URL (…/v1); `oidc` the session server's settings (issuer, client, secret, build).
 * @returns {Promise<{ url: string, headers: Record<string, string>, stop: () => Promise<void>, pid?: number }>}
 *   `pid`: the proxy's process (none for the direct call), whose CPU time the load measures.
 */
export async function startProxyConfig(name, { port, appOrigin, upstream, cpuProfDir, oidc }) {
  if (name === 'direct') {
    const url = `${upstream}/42`;
    await check(url, {}, 401, 'upstream without a token');
    return { url, headers: { authorization: 'Bearer direct-call-token-0123456789abcdefghijklmnop' }, stop: async () => {} };
  }
  const url = `http://127.0.0.1:${port}/api/orders/42`;
  const oidcApp = name === 'oidc-session' || name === PROXY_COMPARE;
  const app =
    oidcApp
      ? await startApp('oidc-proxy', { ...oidc, port, appOrigin, upstream }, { cpuProfDir })
      : await startApp('plain-proxy', { port, upstream, via: name === 'plain-fetch' ? 'fetch' : 'http' }, { cpuProfDir });
  try {
    const cookie = oidcApp ? await loginCookie('oidc-session', appOrigin) : lookalikeCookie();
    const headers = { cookie, ...CSRF };
    if (oidcApp) {
      await check(url, { cookie }, 403, 'oidc-session proxy without the CSRF header');
      await check(url, CSRF, 401, 'oidc-session proxy without a session');
    }
    await check(url, headers, 200, `${name} with the session cookie`);
    return { url, headers, stop: app.stop, pid: app.pid };
  } catch (error) {
    await app.stop();
    throw error;
  }
}
