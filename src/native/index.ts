// `oidc-session/native`: what native, hybrid and extension apps add to the client, all browser-safe
// and tree-shaken per function. Node-only parts have their own entries: `oidc-session/loopback`
// (desktop and CLI apps) and `oidc-session/electron-main` (Electron's main process).
export { isCallbackUrl } from './deep-link.js';
export { capacitorSecureStorage } from './capacitor.js';
export type { AparajitaSecureStorage, CapacitorSecureStorageOptions, SecureStoragePluginApi } from './capacitor.js';
export { electronSecureStorage, secureStorageBridge } from './electron.js';
export type { IpcRendererLike, SecureStorageBridge, SecureStorageBridgeOptions } from './electron.js';
export { extensionStorage } from './extension.js';
export type { ExtensionStorageArea } from './extension.js';
export { webAuthFlow } from './web-auth-flow.js';
export type { IdentityApi } from './web-auth-flow.js';
