import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'target-http',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
