import { defineProject } from 'vitest/config';

// Cross-package end-to-end tests: packed tarballs, real processes. They spawn many processes, so run serially.
export default defineProject({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'fixtures/**'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
