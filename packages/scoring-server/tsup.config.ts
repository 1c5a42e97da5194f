import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: piscina loads it by file URL next to the chunk that starts the pool.
  // bearer-auth is the light `./auth` export: a client reads and checks a token file without the server.
  entry: ['src/index.ts', 'src/bin.ts', 'src/inference-worker.ts', 'src/bearer-auth.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
});
