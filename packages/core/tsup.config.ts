import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/registry.ts', 'src/internal.ts', 'src/http.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
});
