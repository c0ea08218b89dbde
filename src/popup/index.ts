// `oidc-session/popup`: sign in in a popup window instead of a full-page redirect. Its own entry, so
// apps that redirect never carry it; it adds nothing to the core, only drives `login({ navigate })`.
export { loginWithPopup } from './login-with-popup.js';
export type { PopupLoginClient, PopupLoginOptions } from './login-with-popup.js';
export { handlePopupCallback } from './popup-callback.js';
