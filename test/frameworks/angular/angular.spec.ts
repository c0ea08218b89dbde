// The Angular binding in a real Vite app (test/frameworks/angular/app, JIT), against oidc-provider, in both modes.
import { fileURLToPath } from 'node:url';
import { frameworkTest } from '../support/app-fixture.js';
import { browserModeFlows, sessionServerModeFlows } from '../vue/shared-flows.js';

const appDir = fileURLToPath(new URL('./app/', import.meta.url));

browserModeFlows(frameworkTest({ name: 'angular', appDir }), 'angular');
sessionServerModeFlows(frameworkTest({ name: 'angular-server', appDir, sessionServer: true }), 'angular');
