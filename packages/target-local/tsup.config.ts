import { defineConfig } from 'tsup';

export default defineConfig({
  // supervisor and router run as their own processes; they are entries, not exports.
  entry: ['src/index.ts', 'src/supervisor.ts', 'src/router.ts', 'src/server-process.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  sourcemap: true,
});
