import { defineProject } from 'vitest/config';
import { versionDefinitions } from './versions.config.js';

export default defineProject({
  define: versionDefinitions(),
  test: {
    name: 'create-target',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/.generated-*/**'],
  },
});
