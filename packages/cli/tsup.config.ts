import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

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
  banner: {
    js: "import { createRequire as __berthCreateRequire } from 'node:module';\nconst require = __berthCreateRequire(import.meta.url);",
  },
});
