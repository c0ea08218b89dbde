// Getting a session cookie for each app before the load starts, and checking that /api/me answers
// 200 with it and 401 without it, so the benchmark measures real session lookups.
import { fetchLogin } from '../../test/support/fetch-login.mjs';

/**
 * @param {'oidc-session' | 'express-session'} library
 * @param {string} origin The app's origin.
 * @returns {Promise<string>} The Cookie header to send.
 */
export async function loginCookie(library, origin) {
  let cookie;
  if (library === 'oidc-session') {
    // A real login: authorization-code flow against the local provider (which signs `ada` in by itself).
    const { app, finalUrl } = await fetchLogin(`${origin}/auth/login?returnTo=/`);
    cookie = app.header();
    if (!cookie.includes('oidc-session=')) throw new Error(`oidc-session login failed (ended at ${finalUrl})`);
  } else {
    const response = await fetch(`${origin}/login`);
    await response.arrayBuffer();
    const [set] = response.headers.getSetCookie();
    if (response.status !== 200 || !set) throw new Error(`express-session login failed (${response.status})`);
    cookie = set.split(';')[0];
  }
  const signedIn = await fetch(`${origin}/api/me`, { headers: { cookie } });
  const body = await signedIn.json().catch(() => undefined);
  if (signedIn.status !== 200 || body?.sub !== 'ada') throw new Error(`${library}: /api/me with the session answered ${signedIn.status} ${JSON.stringify(body)}`);
  const anonymous = await fetch(`${origin}/api/me`);
  await anonymous.arrayBuffer();
  if (anonymous.status !== 401) throw new Error(`${library}: /api/me without a session answered ${anonymous.status}, expected 401`);
  return cookie;
}
