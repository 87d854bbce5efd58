import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // build-dist first: the tests that run the built CLI must not run a stale dist/.
    globalSetup: ['test/setup/build-dist.ts', 'test/setup/system-tools.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Child-process and socket tests are heavy on a 2-core machine: run files two at a time.
    maxWorkers: 2,
    env: { TZ: 'UTC' },
  },
});
