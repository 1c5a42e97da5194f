import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: piscina loads it by file URL next to the chunk that starts the pool.
  entry: ['src/index.ts', 'src/bin.ts', 'src/inference-worker.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
});
