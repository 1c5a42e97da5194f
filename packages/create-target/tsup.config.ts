import { copyFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';
import { versionDefinitions } from './versions.config.js';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin/create-berth-target.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  sourcemap: true,
  define: versionDefinitions(),
  // The target guide travels with the scaffolder: every scaffold gets a copy (src/scaffold-target.ts).
  onSuccess: () => copyFile('../../docs/writing-a-target.md', 'dist/writing-a-target.md'),
});
