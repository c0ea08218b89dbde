import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './test/e2e/chromium.js';

export default defineConfig({
  testDir: 'test/e2e',
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
});
