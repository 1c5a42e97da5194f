import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build, defineConfig, type Options } from 'tsup';

const betterSqlite3 = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('better-sqlite3/package.json'), 'utf8'),
) as { version: string };

/**
 * `dist/list-deployments.cjs` (`@berth/target-local/list-deployments`): `berth list`'s lean path,
 * one CommonJS file that the CLI's `bin/berth.cjs` requires without the ESM loader. It bundles what
 * it uses of @berth/core and better-sqlite3's JavaScript; the addon is loaded by path at run time
 * (never through `bindings`), and only when it is the version bundled here. Built after the ESM
 * build, whose `clean` would otherwise race with it.
 */
async function buildLeanList(): Promise<void> {
  await build({
    entry: { 'list-deployments': 'src/lean-list.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    noExternal: ['@berth/core', 'better-sqlite3'],
    external: ['bindings'],
    define: { __BUNDLED_BETTER_SQLITE3__: JSON.stringify(betterSqlite3.version) },
    removeNodeProtocol: false,
    clean: false,
    // Typed (list-deployments.d.cts), so a TypeScript caller and attw see what it resolves to.
    dts: true,
    sourcemap: false,
    silent: true,
    config: false,
  } satisfies Options);
}

export default defineConfig({
  // The files under processes/ run as their own processes: entries, not exports.
  entry: ['src/index.ts', 'src/processes/supervisor.ts', 'src/processes/router.ts', 'src/processes/server-process.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  target: 'node20',
  sourcemap: true,
  onSuccess: buildLeanList,
});
