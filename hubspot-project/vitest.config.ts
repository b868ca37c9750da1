import { defineConfig } from 'vitest/config';

// Tests of every extension in src/app (cards, settings, pages), rendered with
// @hubspot/ui-extensions/testing: no browser, no HubSpot account.
export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
    // One worker: the machine is shared, and the suite is small.
    maxWorkers: 1,
  },
});
