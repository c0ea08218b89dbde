// The Svelte binding in a real Vite app (test/frameworks/svelte/app), against oidc-provider, in both modes.
import { fileURLToPath } from 'node:url';
import { frameworkTest } from '../support/app-fixture.js';
import { browserModeFlows, sessionServerModeFlows } from '../vue/shared-flows.js';

const appDir = fileURLToPath(new URL('./app/', import.meta.url));

browserModeFlows(frameworkTest({ name: 'svelte', appDir }), 'svelte');
sessionServerModeFlows(frameworkTest({ name: 'svelte-server', appDir, sessionServer: true }), 'svelte');
