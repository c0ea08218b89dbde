import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/bindings/**/*.test.{ts,tsx}', 'test/server/**/*.test.ts', 'test/package/**/*.test.ts', 'test/native/**/*.test.ts', 'test/popup/**/*.test.ts', 'test/silent/**/*.test.ts'],
    environment: 'node',
    // The server suites drive real processes (oidc-provider, redis-server, app processes): on a loaded
    // two-core CI machine a test can take several seconds without anything being wrong.
    testTimeout: 20_000,
  },
});
