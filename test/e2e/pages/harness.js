// Test page logic shared by the npm-build and CDN-build pages: one client for this page, exposed to
// the tests with a log of every state change and event. A callback URL is handled on load.

export async function startHarness(sdk) {
  const config = window.OIDC_CONFIG;
  const here = location.origin + location.pathname;
  // Tests set extra client options (storage mode, sharing, timeouts) for every tab through localStorage.
  const extra = JSON.parse(localStorage.getItem('harness:options') ?? '{}');
  // Tests name the storage mode; the SDK takes the adapter itself.
  if (extra.storage === 'indexeddb') extra.storage = sdk.indexedDbStorage();
  else if (extra.storage === 'memory') extra.storage = sdk.memoryStorage();
  else if (extra.storage === 'session') delete extra.storage;
  const client = new sdk.AuthClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: here,
    postLogoutRedirectUri: here,
    ...extra,
  });
  const events = [];
  addEventListener('pageshow', (event) => events.push({ type: 'pageshow', persisted: event.persisted }));
  client.subscribe((state) => events.push({ type: 'state', status: state.status }));
  for (const type of ['login', 'refresh', 'logout']) client.on(type, (event) => events.push({ type, ...structuredClone(event) }));

  const describeError = (error) => ({
    ok: false,
    name: error?.name,
    code: error?.code,
    error: error?.error,
    message: error?.message,
    isAuthError: sdk.isAuthError(error),
  });
  Object.assign(window, { sdk, client, events, describeError });

  // A test that needs the callback URL unspent sets this flag before the provider redirects back.
  const manual = sessionStorage.getItem('harness:manual-callback') === '1';
  const params = new URLSearchParams(location.search);
  if (!manual && (params.has('state') || params.has('code') || params.has('error'))) {
    window.callbackResult = await client.handleCallback().then(
      (result) => ({ ok: true, sub: result.user.sub, returnTo: result.returnTo }),
      describeError,
    );
  } else {
    await client.getUser(); // settles the restore from an asynchronous storage
  }
  window.harnessReady = true;
}
