import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/server/**/*.test.ts', 'test/package/**/*.test.ts'],
    environment: 'node',
  },
});
