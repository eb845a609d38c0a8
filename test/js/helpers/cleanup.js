// Steps a test registers to undo what it started (servers, clients); after
// each test they run in reverse order, even when the test failed.
import { afterEach } from 'vitest';

/** Call in a describe block; push async or sync steps onto the result. */
export function cleanupAfterEach() {
  const steps = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return steps;
}
