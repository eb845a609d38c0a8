import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/js/**/*.test.js'],
    // Each test file in its own process: native servers and their io threads
    // never share a process with another file's.
    pool: 'forks',
    // Memory-bound tests collect garbage before sampling RSS, so they measure
    // what the server keeps, not when V8 happens to collect.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
