import { defineConfig } from 'tsup';

export default defineConfig({
  // The bin is its own entry (dist/berth-sagemaker.js), beside index.js.
  entry: { index: 'src/index.ts', 'berth-sagemaker': 'src/bin/berth-sagemaker.ts' },
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  sourcemap: true,
});
