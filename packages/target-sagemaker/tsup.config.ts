import { build, defineConfig, type Options } from 'tsup';

/**
 * `dist/list-deployments.cjs` (`@berth/target-sagemaker/list-deployments`): `berth list`'s lean
 * path, one CommonJS file that the CLI's `bin/berth.cjs` requires without the ESM loader. It bundles
 * what it uses of @berth/core (its types: list-deployments.d.cts); no AWS SDK module is in it or
 * loaded by it. Built after the ESM build,
 * whose `clean` would otherwise race with it.
 */
async function buildLeanList(): Promise<void> {
  await build({
    entry: { 'list-deployments': 'src/list-deployments.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    noExternal: ['@berth/core'],
    removeNodeProtocol: false,
    clean: false,
    // Typed, so a TypeScript caller (and attw) sees what it resolves to.
    dts: true,
    sourcemap: false,
    silent: true,
    config: false,
  } satisfies Options);
}

export default defineConfig({
  // The bin is its own entry (dist/berth-sagemaker.js), beside index.js.
  entry: { index: 'src/index.ts', 'berth-sagemaker': 'src/bin/berth-sagemaker.ts' },
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  sourcemap: true,
  onSuccess: buildLeanList,
});
