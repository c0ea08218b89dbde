// The test app: the npm build of the client and of oidc-session/silent, a client whose redirect URI
// is this page, and helpers the tests call. Outcomes come back as plain objects.
import { AuthClient, isAuthError } from '/dist/index.js';
import { handleSilentCallback, signInSilently } from '/dist/silent.js';

if (handleSilentCallback()) {
  // In the hidden frame: the parent redeems the response. Nothing of the app runs here.
  window.handedOver = true;
} else {
  const here = location.origin + location.pathname;
  // `?own-session`: this tab keeps its session to itself (shareSessionAcrossTabs: false).
  const shareSessionAcrossTabs = !new URLSearchParams(location.search).has('own-session');
  const client = new AuthClient({ issuer: window.OIDC_CONFIG.issuer, clientId: window.OIDC_CONFIG.clientId, redirectUri: here, shareSessionAcrossTabs });
  const statuses = [];
  const events = [];
  client.subscribe((state) => statuses.push(state.status));
  for (const type of ['login', 'logout', 'refresh']) client.on(type, () => events.push(type));
  const outcome = async (run) => {
    const started = performance.now();
    try {
      const result = await run();
      return { ok: true, result: result === undefined ? 'undefined' : { kind: result.kind, sub: result.user.sub, returnTo: result.returnTo }, ms: performance.now() - started };
    } catch (error) {
      return {
        ok: false,
        name: error?.name,
        code: error?.code,
        message: error?.message,
        providerError: error?.cause?.error,
        isAuthError: isAuthError(error),
        ms: performance.now() - started,
      };
    }
  };
  Object.assign(window, {
    client,
    statuses,
    events,
    frames: () => document.querySelectorAll('iframe').length,
    silent: (options = {}) => outcome(() => signInSilently(client, options)),
    silentAborted: (afterMs, options = {}) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), afterMs);
      return outcome(() => signInSilently(client, { ...options, signal: controller.signal }));
    },
    login: () => client.login({ returnTo: '/silent/app.html?signed-in' }),
  });
  window.appReady = client.handleRedirect().then(() => true, () => true);
}
