// Signs a user in through the session server with plain fetch, following the redirects by hand and
// carrying cookies like a browser: for tests and benchmarks that need a real session cookie without
// a browser. The provider must sign users in without its form (`autoLogin`) or be given `user`.

/** A tiny cookie jar: name -> value, updated from Set-Cookie headers. */
export class CookieJar {
  /** @type {Map<string, string>} */
  cookies = new Map();

  /** @param {Response} response */
  take(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0\b/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Follows a login from `loginUrl` (the session server's `GET login`) through the provider and back.
 * Cookies for the app and the provider are kept apart, as a browser would.
 * @param {string} loginUrl
 * @param {{ app?: CookieJar, provider?: CookieJar }} [jars]
 * @returns {Promise<{ app: CookieJar, finalUrl: string, hops: string[] }>}
 */
export async function fetchLogin(loginUrl, jars = {}) {
  const app = jars.app ?? new CookieJar();
  const provider = jars.provider ?? new CookieJar();
  const appOrigin = new URL(loginUrl).origin;
  let url = loginUrl;
  const hops = [];
  for (let i = 0; i < 20; i++) {
    hops.push(url);
    const jar = new URL(url).origin === appOrigin ? app : provider;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(response);
    // The session server's landing page after the callback (SameSite=Strict cookie) moves on by a meta refresh.
    const body = await response.text();
    const refresh = response.status === 200 ? /<meta http-equiv="refresh" content="0;url=([^"]*)">/.exec(body) : null;
    const location = response.headers.get('location') ?? (refresh ? refresh[1].replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code))) : null);
    if ((response.status < 300 || response.status >= 400 || !location) && !refresh) return { app, finalUrl: url, hops };
    url = new URL(location, url).href;
  }
  throw new Error(`login did not finish: ${hops.join(' -> ')}`);
}
