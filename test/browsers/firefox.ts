import { fileURLToPath } from 'node:url';

// Firefox is Debian's firefox-esr, driven over WebDriver BiDi through Playwright's `moz-firefox`
// channel. The executable Playwright starts is a small shim in front of firefox-esr (see the file for
// why); FIREFOX_PATH points the shim at another Firefox.
export const firefoxLaunchOptions = {
  channel: 'moz-firefox',
  executablePath: fileURLToPath(new URL('./firefox-esr-bidi.mjs', import.meta.url)),
  firefoxUserPrefs: {
    // No network here: no update checks, telemetry or captive-portal probes at start-up.
    'app.update.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
  },
};

/** The hostile suite's host names, which Firefox resolves to loopback (Chromium maps *.test by flag). */
export const HOSTILE_HOSTS = ['rp.test', 'op.test', 'op2.test', 'evil.test', 'rs.test'];
