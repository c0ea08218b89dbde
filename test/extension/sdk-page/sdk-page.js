// Test helpers for sdk.spec.ts, in an extension page.

/** The client as an extension creates it (the options of examples/extension/background.js). */
globalThis.createClient = () =>
  new OidcSession.AuthClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: chrome.identity.getRedirectURL('callback'),
    postLogoutRedirectUri: chrome.identity.getRedirectURL('logout'),
    navigate: OidcSession.webAuthFlow(),
    storage: OidcSession.extensionStorage(),
  });

/** A promise's outcome as data the spec can read: `{ value }` or `{ error }`, never a rejection. */
globalThis.settle = (promise) =>
  promise.then(
    (value) => ({ value }),
    (error) => ({
      error: { name: error?.name, code: error?.code, message: String(error?.message ?? error), isAuthError: OidcSession.isAuthError(error) },
    }),
  );
