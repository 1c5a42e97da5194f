import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'target-local',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The process tests start dozens of servers and time restarts: one file at a time keeps a
    // 2-core machine from turning them into a contest.
    fileParallelism: false,
  },
});
