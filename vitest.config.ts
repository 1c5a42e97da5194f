import { defineConfig } from 'vitest/config';

// CI reads a plain "N passed, N failed" line; .ci/run asks for a JSON report through BERTH_TEST_REPORT.
const report = process.env.BERTH_TEST_REPORT;

export default defineConfig({
  test: {
    projects: ['packages/*', 'test'],
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
