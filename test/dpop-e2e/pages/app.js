// The DPoP test app: one client with `dpop: dpop(...)` (options from localStorage, set by the test),
// `api` = authFetch(client) for the resource server, and a log of every state change and event.
export async function startApp(sdk) {
  const config = window.OIDC_CONFIG;
  const here = location.origin + location.pathname;
  const extra = JSON.parse(localStorage.getItem('dpop:options') ?? '{}');
  // `noDpop`: the same page as a plain Bearer client (the benchmark's baseline).
  const { dpopOptions = {}, storage, par, noDpop, ...clientOptions } = extra;
  if (par) clientOptions.par = sdk.par(par);
  if (storage === 'indexeddb') clientOptions.storage = sdk.indexedDbStorage();
  if (storage === 'memory') clientOptions.storage = sdk.memoryStorage();
  const client = new sdk.AuthClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: here,
    postLogoutRedirectUri: here,
    ...(noDpop ? {} : { dpop: sdk.dpop(dpopOptions) }),
    now: () => Date.now() + (window.skewMs ?? 0),
    ...clientOptions,
  });
  const events = [];
  client.subscribe((state) => events.push({ type: 'state', status: state.status }));
  for (const type of ['login', 'refresh', 'logout', 'warning']) {
    client.on(type, (event) => events.push({ type, ...(event.error ? { code: event.error.code } : structuredClone(event)) }));
  }
  const describe = (error) => ({ ok: false, name: error?.name, code: error?.code, error: error?.error, message: String(error?.message), isAuthError: sdk.isAuthError(error) });
  const api = sdk.authFetch(client);
  /** Calls the resource server; resolves with what came back (never rejects). */
  const callApi = (url, init) =>
    api(url, init).then(
      async (response) => ({ ok: true, status: response.status, body: await response.text() }),
      describe,
    );
  Object.assign(window, { sdk, client, events, describe, api, callApi });
  const params = new URLSearchParams(location.search);
  if (params.has('state')) {
    window.callbackResult = await client.handleCallback().then((result) => ({ ok: true, sub: result.user.sub }), describe);
  } else {
    await client.getUser();
  }
  window.ready = true;
}
