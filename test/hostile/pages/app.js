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
