// The app under attack: one client (and a second one for a second issuer), a log of everything
// the SDK reports, a heartbeat that shows whether the page stays responsive, and a callback page
// that, like a real app, goes where handleCallback() says to return to.

export async function startApp(sdk) {
  const config = window.OIDC_CONFIG;
  // The page's own flags; storage may be broken on purpose (the ST cases).
  const read = (storage, key) => {
    try {
      return window[storage].getItem(key);
    } catch {
      return null;
    }
  };
  const extra = JSON.parse(read('localStorage', 'hostile:options') ?? '{}');
  // Tests name the storage mode; the SDK takes the adapter itself.
  if (extra.storage === 'indexeddb') extra.storage = sdk.indexedDbStorage();
  // DPoP when a test asks (`dpop: { ...options of dpop() }`): oidc-session/dpop, loaded only then.
  if (extra.dpop) extra.dpop = (await import('/dist/dpop.js')).dpop(extra.dpop);
  const base = {
    clientId: config.clientId,
    redirectUri: `${config.app}/cb`,
    postLogoutRedirectUri: [`${config.app}/`, `${config.app}/bye`],
    requestTimeoutSeconds: 3,
    // Tests move this page's clock forward (expired tokens, back-off windows) with window.skewMs.
    now: () => Date.now() + (window.skewMs ?? 0),
  };
  const client = new sdk.AuthClient({ ...base, issuer: config.issuer, ...extra });
  const events = [];
  client.subscribe((state) => events.push({ type: 'state', status: state.status }));
  for (const type of ['login', 'refresh', 'logout', 'warning']) {
    client.on(type, (event) => {
      const { error } = event;
      events.push({ type, ...(error ? { name: error.name, code: error.code, message: error.message } : structuredClone(event)) });
    });
  }
  const describe = (error) => ({
    ok: false,
    name: error?.name,
    code: error?.code,
    error: error?.error,
    message: String(error?.message),
    isAuthError: sdk.isAuthError(error),
    retryAt: error?.retryAt,
  });
  // The longest gap between 50 ms ticks: a page blocked by a huge response shows it here.
  let last = performance.now();
  window.maxGap = 0;
  setInterval(() => {
    const now = performance.now();
    window.maxGap = Math.max(window.maxGap, now - last);
    last = now;
  }, 50);
  Object.assign(window, { sdk, client, events, describe, makeClient: (options) => new sdk.AuthClient({ ...base, ...options }) });
  // API calls through oidc-session/fetch (loaded on first use): `api` is authFetch(client); callApi
  // resolves with what came back, or the error described (never rejects).
  window.callApi = async (url, init) => {
    window.api ??= (await import('/dist/fetch.js')).authFetch(client);
    return window.api(url, init).then(async (response) => ({ ok: true, status: response.status, body: await response.text() }), describe);
  };
  // oidc-session/userinfo (loaded on first use): resolves with the merged user, or the error described.
  window.userInfo = async () => {
    window.fetchUserInfo ??= (await import('/dist/userinfo.js')).fetchUserInfo;
    return window.fetchUserInfo(client).then((user) => ({ ok: true, user }), describe);
  };

  if (location.pathname === '/cb' && read('sessionStorage', 'hostile:manual') !== '1') {
    window.callbackResult = await client.handleCallback().then(
      (result) => {
        // Like a real app: go where the SDK says (it has checked that the path is ours).
        if (read('sessionStorage', 'hostile:follow') === '1') location.assign(result.returnTo);
        return { ok: true, sub: result.user.sub, returnTo: result.returnTo };
      },
      describe,
    );
  } else {
    await client.getUser();
  }
  window.ready = true;
}
