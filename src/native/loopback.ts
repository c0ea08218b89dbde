// Login for desktop and CLI apps in Node through the system browser and a loopback redirect URI
// (RFC 8252 §7.3, §8.3). Node only (node:http): never part of the browser bundles.
export { listenForCallback } from './listener.js';
export type { LoopbackListener } from './listener.js';
export type { ListenOptions, PageOption } from './listen-options.js';
export { loopbackLogin } from './loopback-login.js';
export type { LoopbackLoginClient, LoopbackLoginOptions, LoopbackLoginRequest } from './loopback-login.js';
export { LoopbackError } from './loopback-error.js';
export type { LoopbackStopReason } from './loopback-error.js';
