import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests start real servers (and, against the local target, real scoring-server processes).
  test: {
    name: 'server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
