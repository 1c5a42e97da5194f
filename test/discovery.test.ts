import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundledVersion,
  escapeRegExp,
  fakeVersion,
  type ProcessResult,
  type RunOptions,
  runProcess,
  testDirectory,
} from './helpers/berth-process.js';
import { check, NPM_ENVIRONMENT, npm, pack } from './helpers/packages.js';

// Discovery as users get it: core, cli (with server, its dependency) and the fixture targets packed with `pnpm pack`, installed
// from the tarballs with npm into (a) a project, (b) a global prefix, (c) a bare global CLI plus
// `berth targets add` into BERTH_HOME — then driven through the installed `berth` bin.

const repository = join(testDirectory, '..');
const PACKAGES = {
  core: join(repository, 'packages', 'core'),
  cli: join(repository, 'packages', 'cli'),
  server: join(repository, 'packages', 'server'), // the cli's dependency, for `berth serve`
  fake: join(testDirectory, 'fixtures', 'berth-target-fake'),
  bundled: join(testDirectory, 'fixtures', 'berth-target-bundled'),
} as const;
type PackageKey = keyof typeof PACKAGES;

let root: string;
const tarballs = {} as Record<PackageKey, string>;

function tarEntry(tarball: string, entry: string): Promise<ProcessResult> {
  return runProcess('tar', ['-xzOf', tarball, entry], { timeoutMs: 30_000 });
}

/** A `berth targets` table row: name, package, version, source. */
function tableRow(name: string, packageName: string, version: string, source: string): RegExp {
  return new RegExp(`^${name}\\s+${escapeRegExp(packageName)}\\s+${escapeRegExp(version)}\\s+${source}\\s`, 'm');
}

/** Runs an installed `berth` bin directly (its shebang and file mode are part of what is tested). */
function berthAt(bin: string, home: string) {
  return (args: string[], options: RunOptions = {}) =>
    runProcess(bin, args, { timeoutMs: 60_000, ...options, env: { BERTH_HOME: home, ...options.env } });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-discovery-'));
  for (const key of Object.keys(PACKAGES) as PackageKey[]) {
    tarballs[key] = await pack(PACKAGES[key], join(root, 'tarballs', key));
  }
  await writeFile(join(root, 'input.json'), '{"data": [5000]}');
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('packed tarballs', () => {
  it('have no workspace: specifiers left in their package.json', async () => {
    for (const key of Object.keys(PACKAGES) as PackageKey[]) {
      const manifest = check(await tarEntry(tarballs[key], 'package/package.json'), `read ${key} manifest`).stdout;
      expect(manifest, key).not.toContain('workspace:');
      JSON.parse(manifest);
    }
    const cli = JSON.parse((await tarEntry(tarballs.cli, 'package/package.json')).stdout);
    expect(cli.dependencies['@berth/core']).toMatch(/^\^?\d+\.\d+\.\d+$/);
    const fake = JSON.parse((await tarEntry(tarballs.fake, 'package/package.json')).stdout);
    expect(fake.peerDependencies['@berth/core']).toBe('>=0.1.0');
  });

  it('ship the built cli with an executable bin', async () => {
    const listing = check(await runProcess('tar', ['-tvzf', tarballs.cli]), 'list cli tarball').stdout;
    expect(listing).toMatch(/^-rwx.* package\/bin\/berth\.cjs$/m);
    const bin = (await tarEntry(tarballs.cli, 'package/bin/berth.cjs')).stdout;
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    // What the bin answers by itself (--help, --version, targets) comes from files the build writes.
    for (const built of ['package/dist/index.js', 'package/dist/help.json', 'package/dist/targets.cjs']) {
      expect(listing).toContain(built);
    }
    const manifest = JSON.parse((await tarEntry(tarballs.cli, 'package/package.json')).stdout);
    expect(manifest.bin).toEqual({ berth: './bin/berth.cjs' });
  });
});

describe('installed into a project with npm', () => {
  let project: string;
  let berth: ReturnType<typeof berthAt>;

  beforeAll(async () => {
    project = join(root, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'berth-e2e-project', version: '1.0.0', private: true }, null, 2)}\n`,
    );
    check(
      await npm(['install', tarballs.core, tarballs.cli, tarballs.server, tarballs.fake, tarballs.bundled], project),
      'npm install (project)',
    );
    const home = join(root, 'home-project');
    await mkdir(home);
    berth = berthAt(join(project, 'node_modules', '.bin', 'berth'), home);
  });

  it('berth targets lists the targets the project declares', async () => {
    const result = await berth(['targets', '--json'], { cwd: project });
    expect(result.code).toBe(0);
    const { targets } = JSON.parse(result.stdout);
    const byName = Object.fromEntries(targets.map((target: { name: string }) => [target.name, target]));
    expect(byName.faketarget).toMatchObject({
      packageName: 'berth-target-fake',
      source: 'project',
      version: fakeVersion,
    });
    expect(byName.bundledtarget).toMatchObject({ packageName: 'berth-target-bundled', source: 'project' });
  });

  it('create, predict and help go through the installed fake target', async () => {
    const created = await berth(['create', '-t', 'faketarget', '--name', 'd', '-m', 'runs:/r/m', '-f', 'onnx'], {
      cwd: project,
    });
    expect(created.stderr).toBe('');
    expect(created.stdout).toBe('onnx deployment fake_deployment_name is created\n');
    const predicted = await berth(['predict', '-t', 'faketarget', '--name', 'd', '-I', join(root, 'input.json')], {
      cwd: project,
    });
    expect(JSON.parse(predicted.stdout)).toEqual({ predictions: [1, 2, 3] });
    const help = await berth(['help', '-t', 'faketarget'], { cwd: project });
    expect(help.stdout).toBe('Target help is called\n');
  });

  it('loads the target that bundles its own copy of the core contract', async () => {
    const created = await berth(['create', '-t', 'bundledtarget', '--name', 'b', '-m', 'm'], { cwd: project });
    expect(created.stdout).toBe('bundled deployment b is created\n');
    const missing = await berth(['get', '-t', 'bundledtarget', '--name', 'b'], { cwd: project });
    expect(missing.code).toBe(4);
  });

  it('a missing target names the installed ones and the install command', async () => {
    const result = await berth(['list', '-t', 'sagemaker'], { cwd: project });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('No plugin found for managing model deployments to "sagemaker"');
    expect(result.stderr).toContain('Installed targets: bundledtarget, faketarget.');
    expect(result.stderr).toContain('npm install @berth/target-sagemaker');
  });
});

describe('installed globally with npm i -g --prefix', () => {
  let elsewhere: string;
  let berth: ReturnType<typeof berthAt>;

  beforeAll(async () => {
    const prefix = join(root, 'global');
    elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    check(
      await npm(
        [
          'install',
          '-g',
          '--prefix',
          prefix,
          tarballs.core,
          tarballs.cli,
          tarballs.server,
          tarballs.fake,
          tarballs.bundled,
        ],
        root,
      ),
      'npm install -g',
    );
    const home = join(root, 'home-global');
    await mkdir(home);
    berth = berthAt(join(prefix, 'bin', 'berth'), home);
  });

  it('finds convention-named targets installed beside the CLI, outside any project', async () => {
    const result = await berth(['targets'], { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(tableRow('faketarget', 'berth-target-fake', fakeVersion, 'global'));
    expect(result.stdout).toMatch(tableRow('bundledtarget', 'berth-target-bundled', bundledVersion, 'global'));
  });

  it('create, predict, help and a missing target', async () => {
    const created = await berth(['create', '-t', 'faketarget', '--name', 'd', '-m', 'm', '-f', 'onnx'], {
      cwd: elsewhere,
    });
    expect(created.stdout).toBe('onnx deployment fake_deployment_name is created\n');
    const predicted = await berth(['predict', '-t', 'faketarget', '--name', 'd', '-I', join(root, 'input.json')], {
      cwd: elsewhere,
    });
    expect(JSON.parse(predicted.stdout)).toEqual({ predictions: [1, 2, 3] });
    const help = await berth(['help', '-t', 'faketarget'], { cwd: elsewhere });
    expect(help.stdout).toBe('Target help is called\n');
    const missing = await berth(['create', '-t', 'nosuch', '--name', 'd', '-m', 'm'], { cwd: elsewhere });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('berth targets add @berth/target-nosuch');
  });
});

describe('a bare global CLI with berth targets add', () => {
  let elsewhere: string;
  let home: string;
  let berth: ReturnType<typeof berthAt>;

  beforeAll(async () => {
    const prefix = join(root, 'global-bare');
    elsewhere = join(root, 'elsewhere-bare');
    home = join(root, 'home-plugins');
    await mkdir(elsewhere);
    check(
      await npm(['install', '-g', '--prefix', prefix, tarballs.core, tarballs.cli, tarballs.server], root),
      'npm install -g (bare)',
    );
    berth = berthAt(join(prefix, 'bin', 'berth'), home);
  });

  it('starts with no targets and says how to add one', async () => {
    const result = await berth(['targets'], { cwd: elsewhere });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No deployment targets are installed. Add one with: berth targets add <package>');
  });

  it('installs targets into the plugin folder and uses them', async () => {
    // The targets' peer @berth/core is not on the registry, so its tarball is added alongside.
    const added = await berth(['targets', 'add', tarballs.core, tarballs.fake, tarballs.bundled], {
      cwd: elsewhere,
      env: NPM_ENVIRONMENT,
      timeoutMs: 240_000,
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(
      `Installed berth-target-fake@${fakeVersion} in ${join(home, 'plugins')}; targets: faketarget`,
    );
    expect(added.stdout).toContain(`Installed berth-target-bundled@${bundledVersion}`);

    const listed = await berth(['targets'], { cwd: elsewhere });
    expect(listed.stdout).toMatch(tableRow('faketarget', 'berth-target-fake', fakeVersion, 'plugins'));

    const predicted = await berth(['predict', '-t', 'faketarget', '--name', 'd', '-I', join(root, 'input.json')], {
      cwd: elsewhere,
    });
    expect(JSON.parse(predicted.stdout)).toEqual({ predictions: [1, 2, 3] });
    const help = await berth(['help', '-t', 'bundledtarget'], { cwd: elsewhere });
    expect(help.stdout).toContain('Bundled target help');
  });

  it('removes a target package again', async () => {
    const removed = await berth(['targets', 'remove', 'berth-target-bundled'], {
      cwd: elsewhere,
      env: NPM_ENVIRONMENT,
      timeoutMs: 240_000,
    });
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removed berth-target-bundled (targets: bundledtarget)');
    const listed = await berth(['targets', '--json'], { cwd: elsewhere });
    const names = JSON.parse(listed.stdout).targets.map((target: { name: string }) => target.name);
    expect(names).toEqual(['faketarget']);
  });

  it('a failing npm install is a clear error', async () => {
    const result = await berth(['targets', 'add', join(root, 'no-such-target.tgz')], {
      cwd: elsewhere,
      env: NPM_ENVIRONMENT,
      timeoutMs: 120_000,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Error: 'npm install .*no-such-target\.tgz --prefix .*' failed with exit code \d+\./);
  });
});
