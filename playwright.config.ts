import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './test/e2e/chromium.js';

export default defineConfig({
  fullyParallel: true,
  workers: process.env.CI_WORKERS ? Number(process.env.CI_WORKERS) : 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: true,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    trace: 'retain-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
  projects: [
    // The SDK against oidc-provider, as users run it.
    { name: 'e2e', testDir: 'test/e2e' },
    // The SDK against a provider that misbehaves on purpose, over HTTPS on *.test host names.
    {
      name: 'hostile',
      testDir: 'test/hostile',
      use: {
        ignoreHTTPSErrors: true,
        launchOptions: {
          ...chromiumLaunchOptions,
          args: [...chromiumLaunchOptions.args, '--host-resolver-rules=MAP *.test 127.0.0.1'],
        },
      },
    },
  ],
});
