import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/js/**/*.test.js'],
    // Each test file in its own process: native servers and their io threads
    // never share a process with another file's.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
