// The benchmark page around one SDK's adapter: handles the callback, reports when the SDK knows
// whether the user is signed in, and exposes the adapter to the benchmark driver.
export async function startBench(createAdapter, sdk) {
  const short = localStorage.getItem('bench:short') === '1';
  const adapter = createAdapter({
    issuer: window.OIDC_CONFIG.issuer,
    clientId: short ? `${sdk}-short` : sdk,
    redirectUri: location.origin + location.pathname,
    // Set by the benchmark for its "endpoints configured" variant: the discovery document, as an app would paste it.
    metadata: window.BENCH_METADATA,
  });
  window.adapter = adapter;
  const params = new URLSearchParams(location.search);
  if (params.has('code') || params.has('error')) {
    try {
      await adapter.handleCallback();
      history.replaceState(null, '', location.pathname);
    } catch (error) {
      window.callbackError = String(error);
    }
    window.loggedInAt = Date.now();
  }
  window.authenticated = await adapter.ready();
  window.readyAt = performance.now();
  window.benchReady = true;
}
