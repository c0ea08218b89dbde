// Follows a browser's redirects from an app URL through the provider and back, by hand, with the
// app's and the provider's cookies kept apart; every Location the app sends is recorded as sent.
import { CookieJar } from '../../support/fetch-login.mjs';
import { landingPageTarget, type World } from '../harness.js';

export interface Followed {
  /** Every Location header the app answered with, and every landing page's refresh target, verbatim, in order. */
  appLocations: string[];
  /** The bodies of the HTML pages the app answered with (the callback's landing page). */
  appPages: string[];
  /** The URL the chain ended at (on the app origin when it stayed there). */
  finalUrl: string;
  status: number;
}

/** Starts at `path` on the app (really sent to `base`), follows up to 20 redirects like a browser. */
export async function followFromApp(world: World, base: string, path: string, appJar = new CookieJar()): Promise<Followed> {
  const provider = new CookieJar();
  const appLocations: string[] = [];
  const appPages: string[] = [];
  let url = world.appOrigin + path;
  for (let i = 0; i < 20; i++) {
    const onApp = new URL(url).origin === world.appOrigin;
    // A chain that left the app's origin and the provider's is where an open redirect lands: stop there.
    if (!onApp && new URL(url).origin !== new URL(world.provider.issuer).origin) return { appLocations, appPages, finalUrl: url, status: 0 };
    const jar = onApp ? appJar : provider;
    const sent = onApp ? base + url.slice(world.appOrigin.length) : url;
    const response = await fetch(sent, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    // The callback's same-origin landing page (SameSite=Strict session cookie) moves on by a meta refresh.
    const body = await response.text();
    const location = response.headers.get('location') ?? (onApp ? landingPageTarget(response, body) : null);
    if (onApp && location !== null) appLocations.push(location);
    if (onApp && response.headers.get('content-type')?.startsWith('text/html')) appPages.push(body);
    if (!location || ((response.status < 300 || response.status >= 400) && response.status !== 200)) return { appLocations, appPages, finalUrl: url, status: response.status };
    // Resolve as a browser does: against the URL the browser asked for (the app origin, not `base`).
    url = new URL(location, url).href;
  }
  throw new Error(`redirect chain did not end: ${appLocations.join(' -> ')}`);
}
