import { defineConfig, type Project } from '@playwright/test';
import { chromiumLaunchOptions } from './test/browsers/chromium.js';
import { firefoxLaunchOptions, HOSTILE_HOSTS } from './test/browsers/firefox.js';

// Every project is named after its engine, so every line of the output says where a test ran.
// One engine alone: `npx playwright test --project='chromium*'` (or firefox*, webkit).
const chromium = { browserName: 'chromium', launchOptions: chromiumLaunchOptions } as const;
const firefox = { browserName: 'firefox', launchOptions: firefoxLaunchOptions } as const;

const projects: Project[] = [
  // The SDK against oidc-provider, as users run it.
  { name: 'chromium', testDir: 'test/e2e', use: chromium },
  { name: 'firefox', testDir: 'test/e2e', use: firefox },
  // The SDK against a provider that misbehaves on purpose, over HTTPS on *.test host names.
  {
    name: 'chromium-hostile',
    testDir: 'test/hostile',
    use: {
      ...chromium,
      ignoreHTTPSErrors: true,
      launchOptions: { ...chromiumLaunchOptions, args: [...chromiumLaunchOptions.args, '--host-resolver-rules=MAP *.test 127.0.0.1'] },
    },
  },
  {
    name: 'firefox-hostile',
    testDir: 'test/hostile',
    use: {
      ...firefox,
      ignoreHTTPSErrors: true,
      launchOptions: {
        ...firefoxLaunchOptions,
        firefoxUserPrefs: { ...firefoxLaunchOptions.firefoxUserPrefs, 'network.dns.localDomains': HOSTILE_HOSTS.join(',') },
      },
    },
  },
  // WebKitGTK's MiniBrowser through WebKitWebDriver: Playwright runs the tests, selenium-webdriver drives it.
  { name: 'webkit', testDir: 'test/webkit' },
  // Native and desktop apps (RFC 8252): a private-use scheme and a claimed https URL handed over as the
  // operating system would, and a Node desktop app with a loopback listener, a browser context as the
  // system browser.
  { name: 'chromium-native', testDir: 'test/native-apps', use: chromium },
  // A Manifest V3 test extension signing in through chrome.identity.launchWebAuthFlow, in headless Chromium
  // (the harness launches its own browser, with the extension loaded).
  { name: 'chromium-extension', testDir: 'test/extension' },
  // Popup login against oidc-provider: the popup blocker on and off, COOP on the provider's pages.
  { name: 'chromium-popup', testDir: 'test/popup-e2e', use: chromium },
  { name: 'firefox-popup', testDir: 'test/popup-e2e', use: firefox },
  // Silent sign-in with the app on another site than the provider, third-party cookies allowed and
  // blocked (Chromium profile preferences: the fixture launches its own persistent contexts).
  { name: 'chromium-silent', testDir: 'test/silent-e2e', use: chromium },
  // The same in Firefox: the fixture launches a Firefox per test with the cookie preferences set.
  { name: 'firefox-silent', testDir: 'test/silent-e2e', use: firefox },
  // DPoP (oidc-session/dpop, oidc-session/fetch) against oidc-provider with DPoP required and a
  // resource server that verifies every proof.
  { name: 'chromium-dpop', testDir: 'test/dpop-e2e', use: chromium },
  { name: 'firefox-dpop', testDir: 'test/dpop-e2e', use: firefox },
  // Real framework apps (React, Vue, Svelte, Angular) built with Vite against the bindings, in Chromium.
  { name: 'frameworks', testDir: 'test/frameworks', use: chromium },
];

export default defineConfig({
  fullyParallel: true,
  workers: process.env.CI_WORKERS ? Number(process.env.CI_WORKERS) : 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: true,
  reporter: [['list']],
  use: { trace: 'retain-on-failure' },
  projects,
});
