import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
  // The suite registers its tests with the caller's vitest and loads targets with the caller's
  // core: bundling either would give the target a second, disconnected copy.
  external: ['vitest', '@berth/core'],
});
