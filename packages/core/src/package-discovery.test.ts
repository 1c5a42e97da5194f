import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from './berth-error.js';
import { getDeployClient, targetHelp } from './deploy-client.js';
import { clearDiscoveryCache, findProjectRoots } from './package-discovery.js';
import { listTargets, loadTarget } from './target-registry.js';
import {
  linkDirectory,
  makeTempDirectory,
  removeTempDirectories,
  targetModuleSource,
  writePackage,
} from './testing/package-fixtures.js';

afterEach(async () => {
  clearDiscoveryCache();
  await removeTempDirectories();
});

/** Options that isolate a test: no real BERTH_HOME, no real "beside core" folder. */
async function isolatedOptions(root: string) {
  return { berthHome: join(root, 'home'), corePath: join(root, 'no-core', 'index.js') };
}

async function writeTarget(
  directory: string,
  name: string,
  deploymentTargets: Record<string, unknown>,
  files: Record<string, string> = { 'index.js': targetModuleSource(name) },
  extra: Record<string, unknown> = {},
) {
  return writePackage(directory, { name, version: '1.2.3', type: 'module', deploymentTargets, ...extra }, files);
}

describe('project discovery', () => {
  it('finds targets among the dependencies of the nearest package.json, resolved from its root', async () => {
    const root = await makeTempDirectory('project');
    await writePackage(root, {
      name: 'app',
      dependencies: { 'berth-target-alpha': '1' },
      devDependencies: { '@acme/beta': '1', 'not-installed': '1' },
      optionalDependencies: { 'plain-lib': '1' },
    });
    await writeTarget(join(root, 'node_modules/berth-target-alpha'), 'berth-target-alpha', {
      alpha: { entry: '.', summary: 'Alpha target', uri: 'alpha[:/region]' },
    });
    // Any name works in a project; one package may declare several targets; `exports` hides package.json.
    await writeTarget(
      join(root, 'node_modules/@acme/beta'),
      '@acme/beta',
      { beta: './beta', gamma: { entry: './beta' } },
      { 'dist/beta.js': targetModuleSource('beta') },
      { exports: { './beta': { types: './dist/beta.d.ts', import: './dist/beta.js' } } },
    );
    await writePackage(join(root, 'node_modules/plain-lib'), { name: 'plain-lib', version: '0.0.1' });
    const cwd = join(root, 'src', 'deep');
    await mkdir(cwd, { recursive: true });

    const { targets, warnings } = await listTargets({ cwd, ...(await isolatedOptions(root)) });
    expect(warnings).toEqual([]);
    expect(targets).toEqual([
      {
        name: 'alpha',
        packageName: 'berth-target-alpha',
        version: '1.2.3',
        source: 'project',
        packageDir: join(root, 'node_modules/berth-target-alpha'),
        entry: '.',
        summary: 'Alpha target',
        uri: 'alpha[:/region]',
      },
      expect.objectContaining({ name: 'beta', packageName: '@acme/beta', entry: './beta' }),
      expect.objectContaining({ name: 'gamma', packageName: '@acme/beta', entry: './beta' }),
    ]);

    const client = await getDeployClient('gamma:/x', { cwd, ...(await isolatedOptions(root)) });
    expect(client.targetUri).toBe('gamma:/x');
    expect(await client.listDeployments()).toEqual([{ name: 'beta' }]);
  });

  it('works with pnpm’s strict layout: symlinks into node_modules/.pnpm, undeclared packages invisible', async () => {
    const root = await makeTempDirectory('pnpm');
    await writePackage(root, { name: 'app', dependencies: { '@berth/target-pn': '1' } });
    const store = join(root, 'node_modules/.pnpm');
    const real = join(store, '@berth+target-pn@1.2.3/node_modules/@berth/target-pn');
    await writeTarget(
      real,
      '@berth/target-pn',
      { pn: '.' },
      { 'index.js': targetModuleSource('pn') },
      {
        exports: { '.': './index.js' },
      },
    );
    await linkDirectory(real, join(root, 'node_modules/@berth/target-pn'));
    // A transitive dependency sits in the store only; it is not the project's to use.
    await writeTarget(join(store, 'hidden@1.0.0/node_modules/berth-target-hidden'), 'berth-target-hidden', {
      hidden: '.',
    });

    const options = { cwd: root, ...(await isolatedOptions(root)) };
    const { targets } = await listTargets(options);
    expect(targets.map((target) => [target.name, target.packageDir])).toEqual([['pn', real]]);
    expect(await targetHelp('pn', options)).toBe('help from pn');
  });

  it('also scans the workspace root (pnpm-workspace.yaml or a "workspaces" field)', async () => {
    for (const marker of ['pnpm', 'npm'] as const) {
      const root = await makeTempDirectory(`workspace-${marker}`);
      await writePackage(root, {
        name: 'monorepo',
        private: true,
        devDependencies: { 'berth-target-root': '1' },
        ...(marker === 'npm' ? { workspaces: ['packages/*'] } : {}),
      });
      if (marker === 'pnpm') await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
      await writeTarget(join(root, 'node_modules/berth-target-root'), 'berth-target-root', { rooted: '.' });
      const member = join(root, 'packages/app');
      await writePackage(member, { name: 'app', dependencies: { 'berth-target-member': '1' } });
      await writeTarget(join(member, 'node_modules/berth-target-member'), 'berth-target-member', { member: '.' });

      expect(await findProjectRoots(join(member))).toEqual([member, root]);
      const { targets } = await listTargets({ cwd: member, ...(await isolatedOptions(root)) });
      expect(targets.map((target) => target.name)).toEqual(['member', 'rooted']);
    }
  });

  it('counts the project itself when it declares targets (developing a target package)', async () => {
    const root = await makeTempDirectory('self');
    await writeTarget(root, 'berth-target-self', { selfie: '.' });
    const { targets } = await listTargets({ cwd: root, ...(await isolatedOptions(root)) });
    expect(targets).toEqual([expect.objectContaining({ name: 'selfie', packageDir: root, source: 'project' })]);
  });

  it('warns about broken declarations and skips them', async () => {
    const root = await makeTempDirectory('broken-declarations');
    await writePackage(root, { name: 'app', dependencies: { 'berth-target-odd': '1' } });
    await writeTarget(join(root, 'node_modules/berth-target-odd'), 'berth-target-odd', {
      good: '.',
      Bad_Name: '.',
      numeric: 5,
      nosummary: { entry: '.', summary: 7 },
    });
    const { targets, warnings } = await listTargets({ cwd: root, ...(await isolatedOptions(root)) });
    expect(targets.map((target) => target.name)).toEqual(['good']);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toContain('"deploymentTargets.Bad_Name" in berth-target-odd');
  });
  it('loads a CommonJS target whose exports Node can only expose as default', async () => {
    const root = await makeTempDirectory('commonjs');
    await writePackage(root, { name: 'app', dependencies: { 'berth-target-cjs': '1' } });
    await writePackage(
      join(root, 'node_modules/berth-target-cjs'),
      { name: 'berth-target-cjs', version: '0.3.0', main: 'lib/main.js', deploymentTargets: { cjs: '.' } },
      {
        'lib/main.js': `const BRAND = Symbol.for('berth.deployment-client');
class CjsClient { static [BRAND] = true; static specificationVersion = 'v1'; constructor(uri) { this.targetUri = uri; }
  async listDeployments() { return [{ name: 'from-cjs' }]; } }
function build() { return { CjsClient, runLocal: async () => {}, targetHelp: () => 'cjs help' }; }
module.exports = build();
`,
      },
    );
    const options = { cwd: root, ...(await isolatedOptions(root)) };
    expect(await targetHelp('cjs', options)).toBe('cjs help');
    expect(await (await getDeployClient('cjs', options)).listDeployments()).toEqual([{ name: 'from-cjs' }]);
  });
});

describe('listing never imports target code', () => {
  it('lists a target whose module throws at import, and reports the failure only on load', async () => {
    const root = await makeTempDirectory('throws');
    await writePackage(root, { name: 'app', dependencies: { 'berth-target-bomb': '1' } });
    const marker = join(root, 'imported.txt');
    await writeTarget(
      join(root, 'node_modules/berth-target-bomb'),
      'berth-target-bomb',
      { bomb: '.' },
      {
        'index.js': `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\nthrow new Error('boom at import');\n`,
      },
    );
    const options = { cwd: root, ...(await isolatedOptions(root)) };
    const { targets } = await listTargets(options);
    expect(targets.map((target) => target.name)).toEqual(['bomb']);
    await expect(import('node:fs/promises').then((fs) => fs.access(marker))).rejects.toThrow();

    const error = (await loadTarget('bomb', options).catch((caught: unknown) => caught)) as BerthError;
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error.message).toBe('Failed to load the plugin "bomb" (package berth-target-bomb@1.2.3): boom at import');
  });

  it('names the package and what is missing when a discovered module breaks the contract', async () => {
    const root = await makeTempDirectory('contract');
    await writePackage(root, { name: 'app', dependencies: { 'berth-target-half': '1', 'berth-target-v9': '1' } });
    await writeTarget(
      join(root, 'node_modules/berth-target-half'),
      'berth-target-half',
      { half: '.' },
      {
        'index.js': 'export function runLocal() {}\n',
      },
    );
    await writeTarget(
      join(root, 'node_modules/berth-target-v9'),
      'berth-target-v9',
      { nine: '.' },
      {
        'index.js': targetModuleSource('v9', { specificationVersion: '9.0', className: 'NineClient' }),
      },
    );
    const options = { cwd: root, ...(await isolatedOptions(root)) };
    await expect(loadTarget('half', options)).rejects.toThrow(
      'Plugin registered for the target half (package berth-target-half@1.2.3) does not have all the required interfaces. Raise an issue with the plugin developers.\nMissing interfaces: targetHelp',
    );
    await expect(loadTarget('nine', options)).rejects.toThrow(
      "Target 'nine' (package berth-target-v9@1.2.3) implements Berth spec 9.0, but this @berth/core implements spec 1.1; a newer major version of the spec needs a newer Berth.",
    );
  });
});

describe('plugin folder and packages beside core', () => {
  async function globalLayout(root: string) {
    // npm i -g --prefix <root>/prefix @berth/cli @berth/target-g berth-target-h @acme/berth-target-i
    const globalModules = join(root, 'prefix/lib/node_modules');
    const corePath = join(globalModules, '@berth/cli/node_modules/@berth/core/dist/index.js');
    await writePackage(join(globalModules, '@berth/cli/node_modules/@berth/core'), {
      name: '@berth/core',
      version: '0.1.0',
    });
    await writePackage(join(globalModules, '@berth/cli'), { name: '@berth/cli', version: '0.1.0' });
    // target-g bundles its own copy of core: a different class, the same Symbol.for brand.
    await writeTarget(
      join(globalModules, '@berth/target-g'),
      '@berth/target-g',
      { gee: '.' },
      {
        'index.js': `import { BaseDeploymentClient } from '@berth/core';
export class GeeClient extends BaseDeploymentClient {
  async createDeployment(name) { return { name, copy: BaseDeploymentClient.copy }; }
  async updateDeployment(name) { return { name }; }
  async deleteDeployment() {}
  async listDeployments() { return []; }
  async getDeployment(name) { return { name }; }
  async predict() { return { predictions: [] }; }
}
export async function runLocal() {}
export function targetHelp() { return 'gee help'; }
`,
        'node_modules/@berth/core/package.json': JSON.stringify({
          name: '@berth/core',
          version: '0.0.9',
          type: 'module',
          exports: { '.': { import: './index.js' } },
        }),
        'node_modules/@berth/core/index.js': `export class BaseDeploymentClient {
  static [Symbol.for('berth.deployment-client')] = true;
  static specificationVersion = 'v1';
  static copy = 'bundled';
  constructor(targetUri) { this.targetUri = targetUri; }
}
`,
      },
    );
    await writeTarget(join(globalModules, 'berth-target-h'), 'berth-target-h', { aitch: '.' });
    await writeTarget(join(globalModules, '@acme/berth-target-i'), '@acme/berth-target-i', { eye: '.' });
    // Not convention-named: never read, even though it declares a target.
    await writeTarget(join(globalModules, '@acme/other'), '@acme/other', { other: '.' });
    await writeTarget(join(globalModules, 'some-target-x'), 'some-target-x', { xx: '.' });
    return corePath;
  }

  it('finds convention-named packages in every node_modules folder above core, and loads one bundling its own core', async () => {
    const root = await makeTempDirectory('global');
    const corePath = await globalLayout(root);
    const options = { cwd: root, berthHome: join(root, 'home'), corePath };
    const { targets } = await listTargets(options);
    expect(targets.map((target) => [target.name, target.packageName, target.source])).toEqual([
      ['eye', '@acme/berth-target-i', 'global'],
      ['gee', '@berth/target-g', 'global'],
      ['aitch', 'berth-target-h', 'global'],
    ]);
    const client = await getDeployClient('gee', options);
    expect(await client.createDeployment('d', 'm')).toEqual({ name: 'd', copy: 'bundled' });
  });

  it('finds the plugin folder’s dependencies, and orders project → plugins → global with duplicate warnings', async () => {
    const root = await makeTempDirectory('order');
    const corePath = await globalLayout(root);
    const home = join(root, 'home');
    const plugins = join(home, 'plugins');
    await writePackage(plugins, { dependencies: { '@acme/berth-target-p': '^1.0.0', 'berth-target-dup': '^1' } });
    await writeTarget(join(plugins, 'node_modules/@acme/berth-target-p'), '@acme/berth-target-p', { pee: '.' });
    await writeTarget(join(plugins, 'node_modules/berth-target-dup'), 'berth-target-dup', { gee: '.' });
    const project = join(root, 'project');
    await writePackage(project, { name: 'app', dependencies: { 'my-gee': '1' } });
    await writeTarget(join(project, 'node_modules/my-gee'), 'my-gee', { gee: '.' });

    const { targets, warnings } = await listTargets({ cwd: project, berthHome: home, corePath });
    expect(targets.map((target) => [target.name, target.packageName, target.source])).toEqual([
      ['gee', 'my-gee', 'project'],
      ['pee', '@acme/berth-target-p', 'plugins'],
      ['eye', '@acme/berth-target-i', 'global'],
      ['aitch', 'berth-target-h', 'global'],
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^Target "gee" is provided by my-gee@1\.2\.3 \(project, .*\) and by berth-target-dup@1\.2\.3 \(plugin folder, .*\); using my-gee@1\.2\.3 \(first found\)\.$/,
    );
    expect(warnings[1]).toContain('@berth/target-g@1.2.3 (installed beside @berth/core');
  });

  it('scans once per process until the cache is cleared', async () => {
    const root = await makeTempDirectory('cache');
    const options = { cwd: root, ...(await isolatedOptions(root)) };
    await writePackage(root, { name: 'app', dependencies: { 'berth-target-late': '1' } });
    expect((await listTargets(options)).targets).toEqual([]);
    await writeTarget(join(root, 'node_modules/berth-target-late'), 'berth-target-late', { late: '.' });
    expect((await listTargets(options)).targets).toEqual([]);
    clearDiscoveryCache();
    expect((await listTargets(options)).targets.map((target) => target.name)).toEqual(['late']);
  });
});
