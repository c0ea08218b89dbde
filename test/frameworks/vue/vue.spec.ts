// The Vue binding in a real Vite app (test/frameworks/vue/app), against oidc-provider, in both modes.
import { fileURLToPath } from 'node:url';
import { frameworkTest } from '../support/app-fixture.js';
import { browserModeFlows, sessionServerModeFlows } from './shared-flows.js';

const appDir = fileURLToPath(new URL('./app/', import.meta.url));

browserModeFlows(frameworkTest({ name: 'vue', appDir }), 'vue');
sessionServerModeFlows(frameworkTest({ name: 'vue-server', appDir, sessionServer: true }), 'vue');
