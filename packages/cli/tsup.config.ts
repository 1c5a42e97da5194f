import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { build, defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * commander requires node:child_process at load time but needs it only for executable
 * subcommands, which berth does not use; loading it lazily keeps ~10 ms off every start.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(build: {
    onResolve: (options: { filter: RegExp }, callback: (args: { importer: string }) => unknown) => void;
    onLoad: (options: { filter: RegExp; namespace: string }, callback: () => unknown) => void;
  }) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('commander') ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

/**
 * What `bin/berth.cjs` answers without loading the ESM CLI, built after it: `dist/targets.cjs`
 * (`berth targets`, with the discovery part of @berth/core bundled in: one CommonJS file),
 * `dist/list.cjs` (`berth list` through a target's lean list, discovery bundled the same way) and
 * `dist/help.json` (the top-level help and the version, taken from the built program itself).
 */
async function buildFastPaths(): Promise<void> {
  await build({
    entry: { targets: 'src/targets-fast-path.ts', list: 'src/list-fast-path.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    noExternal: ['@berth/core'],
    removeNodeProtocol: false,
    clean: false,
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
  } satisfies Options);
  const built = pathToFileURL(new URL('./dist/index.js', import.meta.url).pathname).href;
  const cli = (await import(`${built}?t=${Date.now()}`)) as { topLevelHelp: () => string; version: string };
  writeFileSync(
    new URL('./dist/help.json', import.meta.url),
    `${JSON.stringify({ version: cli.version, help: cli.topLevelHelp() })}\n`,
  );
}

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
  // Inlined so `berth --version` and --help read no package.json at start-up.
  define: { __BERTH_CLI_VERSION__: JSON.stringify(version) },
  // commander is CommonJS; bundled into our ESM it skips the CJS loader at start-up (~20 ms).
  noExternal: ['commander', '@commander-js/extra-typings'],
  esbuildPlugins: [lazyChildProcess],
  // Keep `node:` specifiers as written (and visible to the plugin above).
  removeNodeProtocol: false,
  // The bundled CommonJS calls require() for node builtins; ESM has none, so provide one.
  onSuccess: buildFastPaths,
  banner: {
    js: "import { createRequire as __berthCreateRequire } from 'node:module';\nconst require = __berthCreateRequire(import.meta.url);",
  },
});
