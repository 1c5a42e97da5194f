import { defineConfig } from 'tsup';

export default defineConfig({
  // The files under processes/ run as their own processes: entries, not exports.
  entry: ['src/index.ts', 'src/processes/supervisor.ts', 'src/processes/router.ts', 'src/processes/server-process.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  sourcemap: true,
});
