// The demo app's UI, shared by the npm-build page, the CDN page and the session-server page: it
// receives the SDK module (`import * as OidcSession` or `window.OidcSession`) and shows what the
// session is doing.
// Provider data is only ever written with textContent: claims are untrusted input.

/**
 * @typedef {object} DemoPage
 * @property {string} build What this page runs, shown in the header.
 * @property {{ href: string, label: string }[]} others Links to the other pages.
 * @property {Record<string, unknown>} [clientOptions] AuthClient options; default: browser mode against the local provider.
 * @property {string} [api] An API route of the app's own backend to call with the session cookie.
 */

/** @param {any} OidcSession @param {DemoPage} page */
export async function startDemo(OidcSession, page) {
  const config = /** @type {any} */ (window).OIDC_CONFIG;
  const here = location.origin + location.pathname;
  const client = new OidcSession.AuthClient(
    page.clientOptions ?? {
      issuer: config.issuer,
      clientId: config.clientId,
      redirectUri: here,
      postLogoutRedirectUri: here,
    },
  );
  /** @type {any} */ (window).client = client;

  const ui = render(page);
  const lifetime = { expiresAt: 0, total: 1 };
  function tick() {
    updateLifetime(client.state, ui, lifetime);
  }
  const log = (/** @type {string} */ kind, /** @type {string} */ text, isError = false) => {
    const item = h('li', {}, h('time', {}, new Date().toLocaleTimeString()), h('span', { class: 'kind' }, kind), h('span', isError ? { class: 'error' } : {}, text));
    ui.log.prepend(item);
  };

  client.subscribe((/** @type {any} */ state) => {
    ui.status.dataset.status = state.status;
    ui.statusText.textContent = state.status;
    ui.login.disabled = state.status !== 'anonymous';
    ui.logout.disabled = state.status !== 'authenticated';
    ui.getToken.disabled = ui.forceRefresh.disabled = ui.callApi.disabled = state.status !== 'authenticated';
    ui.claims.replaceChildren(...(state.status === 'authenticated' ? claimRows(state.user) : [h('p', { class: 'muted' }, 'Not signed in.')]));
    // The lifetime too, in the same render: not up to a second later at the next tick.
    tick();
    log('state', state.status);
  });
  client.on('login', (/** @type {any} */ e) => log('login', `signed in as ${e.user.sub}`));
  let refreshes = 0;
  client.on('refresh', (/** @type {any} */ e) => {
    refreshes++;
    log('refresh', `new access token, expires ${new Date(e.expiresAt).toLocaleTimeString()}`);
  });
  client.on('logout', (/** @type {any} */ e) => log('logout', `reason: ${e.reason}`));

  const report = (/** @type {unknown} */ error) => {
    const e = /** @type {any} */ (error);
    log('error', OidcSession.isAuthError(e) ? `${e.name} (${e.code}${e.error ? `: ${e.error}` : ''}): ${e.message}` : String(e), true);
  };

  let lastToken = '';
  const showToken = async (/** @type {boolean} */ forceRefresh) => {
    try {
      const started = performance.now();
      const refreshesBefore = refreshes;
      const token = await client.getAccessToken({ forceRefresh });
      const ms = (performance.now() - started).toFixed(1);
      // "refreshed" only when this call renewed it; a token renewed since (in the background, by
      // another tab) is new but was not this call's doing. (Session-server mode emits no refresh
      // events: the server renews, so only a forced call is known to have.)
      const refreshedNow = forceRefresh || refreshes > refreshesBefore;
      const how = token === lastToken ? 'cached' : refreshedNow ? 'new (refreshed)' : lastToken ? 'new (renewed since)' : 'current';
      lastToken = token;
      ui.token.textContent = `${token.slice(0, 24)}… (${how}, ${ms} ms)`;
      log('token', `getAccessToken(): ${how} in ${ms} ms`);
    } catch (error) {
      report(error);
    }
  };

  ui.login.onclick = () => client.login().catch(report);
  ui.logout.onclick = () => client.logout().catch(report);
  ui.getToken.onclick = () => showToken(false);
  ui.forceRefresh.onclick = () => showToken(true);
  ui.callApi.onclick = async () => {
    const response = await fetch(/** @type {string} */ (page.api), { headers: { accept: 'application/json' } });
    log('api', `GET ${page.api}: ${response.status} ${await response.text()}`, !response.ok);
  };

  setInterval(tick, 1000);
  tick();

  // Whatever the page was loaded with: a login callback, the return from logout(), or nothing.
  try {
    const result = await client.handleRedirect();
    if (result.kind === 'login') {
      log('callback', `login complete, returning to ${result.returnTo}`);
      if (result.returnTo !== location.pathname + location.search) history.replaceState(null, '', result.returnTo);
    } else if (result.kind === 'logout') {
      log('logout', 'back from the provider: signed out');
    }
  } catch (error) {
    report(error);
  }
}

/** Shows the seconds left; the bar is relative to the lifetime seen when this token was first shown. */
function updateLifetime(/** @type {any} */ state, /** @type {any} */ ui, /** @type {{ expiresAt: number, total: number }} */ lifetime) {
  if (state.status !== 'authenticated') {
    ui.lifetime.textContent = '–';
    ui.meter.style.width = '0%';
    return;
  }
  if (state.expiresAt !== lifetime.expiresAt) Object.assign(lifetime, { expiresAt: state.expiresAt, total: Math.max(1, state.expiresAt - Date.now()) });
  const leftMs = Math.max(0, state.expiresAt - Date.now());
  ui.lifetime.textContent = `${Math.round(leftMs / 1000)} s`;
  const fraction = Math.min(1, leftMs / lifetime.total);
  ui.meter.style.width = `${fraction * 100}%`;
  ui.meter.parentElement.toggleAttribute('data-low', fraction < 0.5);
}

function claimRows(/** @type {Record<string, unknown>} */ user) {
  const shown = ['sub', 'name', 'email', 'preferred_username', 'iss', 'aud', 'iat', 'exp'];
  const list = h('dl', {});
  for (const key of shown) {
    if (!(key in user)) continue;
    let value = user[key];
    if ((key === 'iat' || key === 'exp') && typeof value === 'number') value = `${value} (${new Date(value * 1000).toLocaleTimeString()})`;
    list.append(h('dt', {}, key), h('dd', {}, typeof value === 'string' ? value : JSON.stringify(value)));
  }
  return [list];
}

function render(/** @type {DemoPage} */ page) {
  const statusText = h('span', {}, 'loading');
  const status = h('div', { class: 'status', 'data-status': 'loading' }, h('span', { class: 'dot' }), statusText);
  const login = h('button', {}, 'Sign in');
  const logout = h('button', { class: 'secondary' }, 'Sign out');
  const getToken = h('button', {}, 'Get access token');
  const forceRefresh = h('button', { class: 'secondary' }, 'Force refresh');
  const callApi = h('button', page.api ? {} : { hidden: '' }, 'Call the app\'s API');
  const claims = h('div', {});
  const lifetime = h('div', { class: 'big' }, '–');
  const meter = h('div', { style: 'width:0%' });
  const token = h('code', { class: 'token' }, 'Press "Get access token".');
  const log = h('ol', { class: 'log' });
  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  app.replaceChildren(
    h('header', {}, h('h1', {}, 'oidc-session demo'), h('span', { class: 'build' }, page.build), h('nav', {}, ...page.others.map((other) => h('a', { href: other.href }, `${other.label} →`)))),
    h(
      'main',
      {},
      h('section', {}, h('h2', {}, 'Session'), status, h('div', { class: 'row' }, login, logout, callApi)),
      // In session-server mode the state's expiry is the server session's: tokens stay on the server.
      h('section', {}, h('h2', {}, page.clientOptions?.sessionServer ? 'Session lifetime (on the server)' : 'Access token lifetime'), lifetime, h('div', { class: 'meter' }, meter), h('div', { class: 'row' }, getToken, forceRefresh), token),
      h('section', { class: 'wide' }, h('h2', {}, 'User (ID token claims)'), claims),
      h('section', { class: 'wide' }, h('h2', {}, 'Events'), log),
    ),
  );
  return { status, statusText, login, logout, getToken, forceRefresh, callApi, claims, lifetime, meter, token, log };
}

/** Creates an element; children are nodes or text (never parsed as HTML). */
function h(/** @type {string} */ tag, /** @type {Record<string, string>} */ attrs, /** @type {(Node | string)[]} */ ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...children);
  return /** @type {any} */ (el);
}
