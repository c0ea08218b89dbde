// Browsers cannot be downloaded on these machines: the tests drive Debian's Chromium. Running as root
// without a network, it needs no sandbox and none of its background services.
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
};
