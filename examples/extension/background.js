// The service worker owns the session: it runs login() and logout(), because the popup is closed
// (and its script stopped) as soon as the auth window takes the focus. The popup asks it by message.
importScripts('oidc-session-full.global.js', 'config.js');

const auth = new OidcSession.AuthClient({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: chrome.identity.getRedirectURL('callback'),
  postLogoutRedirectUri: chrome.identity.getRedirectURL('logout'),
  // The provider's pages open in the browser's auth window; login() then completes the login itself.
  navigate: OidcSession.webAuthFlow(),
  // chrome.storage.session: shared by the worker and the extension's pages, kept in memory only.
  storage: OidcSession.extensionStorage(),
});

const actions = {
  login: () => auth.login(),
  logout: () => auth.logout(),
  user: () => auth.getUser(),
};

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // From the extension's own pages only (not from content scripts, should you add some).
  if (!sender.url?.startsWith(chrome.runtime.getURL('')) || !Object.hasOwn(actions, message?.type)) return false;
  actions[message.type]()
    .then(() => auth.getUser())
    .then(
      (user) => sendResponse({ user: user ?? null }),
      (error) => sendResponse({ error: OidcSession.isAuthError(error) ? `${error.code}: ${error.message}` : String(error) }),
    );
  return true; // sendResponse is called later
});

// Call your APIs from here too, with a token that is renewed when needed:
//   const token = await auth.getAccessToken();
//   await fetch(url, { headers: { authorization: 'Bearer ' + token } });
