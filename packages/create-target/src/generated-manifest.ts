import { versionOf } from './scaffold-versions.js';

export interface ManifestInput {
  packageName: string;
  target: string;
  summary: string;
}

/**
 * The peer range on @berth/core: every release of the spec major the package is built against
 * (core 0.x carries spec 1, as 1.x will; `>=0.1.0 <1` until core reaches 1.0, as the first-party
 * targets declare it).
 */
export function corePeerRange(coreVersion: string): string {
  const [major = '0', minor = '0'] = coreVersion.split('.');
  return major === '0' ? `>=0.${minor}.0 <1` : `^${major}.0.0`;
}

/** The scaffolded package.json: shaped like the first-party targets' manifests. */
export function generatedManifest({ packageName, target, summary }: ManifestInput): Record<string, unknown> {
  const pin = (...names: string[]) => Object.fromEntries(names.sort().map((name) => [name, versionOf(name)]));
  return {
    name: packageName,
    version: '0.1.0',
    description: `Berth deployment target '${target}': ${summary}`,
    license: 'Apache-2.0',
    type: 'module',
    sideEffects: false,
    keywords: ['berth', 'berth-target', 'mlflow', 'deployment'],
    exports: {
      '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' },
      './package.json': './package.json',
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'README.md', 'CHANGELOG.md'],
    engines: { node: '>=20.19' },
    scripts: {
      build: 'tsup',
      test: 'tsup && vitest run',
      typecheck: 'tsc',
      lint: 'biome check .',
      format: 'biome check --write .',
      'check:package': 'publint --strict && attw --pack . --profile esm-only',
      prepublishOnly: 'npm run build && npm run check:package',
      changeset: 'changeset',
    },
    deploymentTargets: {
      [target]: { entry: '.', summary, uri: `${target}[:/path/to/state-dir]` },
    },
    dependencies: pin('zod'),
    peerDependencies: { '@berth/core': corePeerRange(versionOf('@berth/core')) },
    devDependencies: pin(
      '@arethetypeswrong/cli',
      '@berth/cli',
      '@berth/core',
      '@berth/testkit',
      '@biomejs/biome',
      '@changesets/cli',
      '@types/node',
      'publint',
      'tsup',
      'typescript',
      'vitest',
    ),
  };
}
