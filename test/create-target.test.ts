import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessResult, type RunOptions, runProcess } from './helpers/berth-process.js';
import { check, NPM_FLAGS, OUTSIDE_VITEST } from './helpers/packages.js';
import { packWithWorkspaceDependencies } from './helpers/workspace-tarballs.js';

// create-berth-target as a stranger uses it: the packed scaffolder run through `npm exec` (what
// `npm create berth-target` does), the generated package installed with npm — Berth's packages
// from their packed tarballs, everything else from the registry — then its own lint, typecheck,
// tests (with @berth/testkit) and package checks, and finally its own tarball installed next to
// the packed @berth/cli, in a project and under a global prefix, and driven through `berth`.

const TARGET = 'acme';
const SCOPE = '@e2e';
const PACKAGE = `${SCOPE}/berth-target-${TARGET}`;
// The example model: weights [0.5, -2], bias 1; examples/input.json holds rows [1,2], [3,4], [5,6].
const EXPECTED = { predictions: [-2.5, -5.5, -8.5] };

let root: string;
let project: string;
let home: string;
let tarballs: Map<string, string>;
let packed: string;

function tarball(name: string): string {
  const path = tarballs.get(name);
  if (!path) throw new Error(`no tarball for ${name}`);
  return path;
}

/** The Berth tarballs a consumer of the target installs with it: core and the CLI (with what the CLI needs). */
function berthTarballs(): string[] {
  return [...tarballs.entries()]
    .filter(([name]) => name !== 'create-berth-target' && name !== '@berth/testkit')
    .map(([, path]) => path);
}

function run(command: string, args: string[], cwd: string, options: RunOptions = {}): Promise<ProcessResult> {
  return runProcess(command, args, { timeoutMs: 300_000, ...options, cwd, env: { ...OUTSIDE_VITEST, ...options.env } });
}

function npmRun(script: string, cwd: string, extra: string[] = []): Promise<ProcessResult> {
  return run('npm', ['run', script, '--silent', ...(extra.length ? ['--', ...extra] : [])], cwd);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-create-target-'));
  home = join(root, 'home');
  await mkdir(home);
  tarballs = await packWithWorkspaceDependencies(
    ['create-berth-target', '@berth/testkit', '@berth/cli'],
    join(root, 'tarballs'),
  );
}, 600_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('create-berth-target, as a stranger runs it', () => {
  it('scaffolds a target package from flags, without a prompt (npm exec of the packed package)', async () => {
    const scaffolded = check(
      await run(
        'npm',
        [
          'exec',
          '--yes',
          `--package=${tarball('create-berth-target')}`,
          '--',
          'create-berth-target',
          'berth-target-acme',
          '--target',
          TARGET,
          '--scope',
          SCOPE,
          '--yes',
        ],
        root,
      ),
      'create-berth-target',
    );
    expect(scaffolded.stdout).toContain(`Created ${PACKAGE} in berth-target-acme: target '${TARGET}'`);
    project = join(root, 'berth-target-acme');
    const files = (await readdir(project, { recursive: true })).map(String).sort();
    for (const file of [
      'package.json',
      'README.md',
      'biome.json',
      'tsconfig.json',
      'tsup.config.ts',
      'vitest.config.ts',
      '.gitignore',
      '.changeset/config.json',
      '.github/workflows/ci.yml',
      `src/${TARGET}-deployment-client.ts`,
      `src/${TARGET}-config.ts`,
      'src/run-local.ts',
      'src/target-help.ts',
      'src/index.ts',
      `test/${TARGET}-conformance.test.ts`,
      'docs/writing-a-target.md',
    ]) {
      expect(files, file).toContain(file);
    }
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    expect(manifest.name).toBe(PACKAGE);
    expect(manifest.deploymentTargets).toEqual({ [TARGET]: expect.objectContaining({ entry: '.' }) });
    expect(manifest.peerDependencies['@berth/core']).toBe('>=0.1.0 <1');
  });

  it('installs its dependencies: Berth from the packed tarballs, the rest from the registry', async () => {
    // --no-save keeps package.json as generated (no file: paths), as a user's would be.
    check(await run('npm', ['install', '--no-save', ...NPM_FLAGS, ...tarballs.values()], project), 'npm install');
    const installed = JSON.parse(await readFile(join(project, 'node_modules/@berth/testkit/package.json'), 'utf8'));
    expect(installed.name).toBe('@berth/testkit');
    expect(await readFile(join(project, 'package.json'), 'utf8')).not.toContain('file:');
  });

  it('passes its own lint and typecheck as generated', async () => {
    check(await npmRun('lint', project), 'npm run lint');
    check(await npmRun('typecheck', project), 'npm run typecheck');
  });

  it('builds and passes its tests, every contract point of @berth/testkit included', async () => {
    const report = join(root, 'scaffold-report.json');
    check(await npmRun('test', project, ['--reporter=json', `--outputFile=${report}`]), 'npm test');
    const results = JSON.parse(await readFile(report, 'utf8'));
    const tests: { title: string; status: string }[] = results.testResults.flatMap(
      (file: { assertionResults: { title: string; status: string }[] }) => file.assertionResults,
    );
    expect(results.numFailedTests).toBe(0);
    expect(tests.filter((test) => test.status !== 'passed')).toEqual([]);
    const points = tests.map((test) => /^\[([a-z.-]+)\]/.exec(test.title)?.[1]).filter(Boolean);
    // No capability declared: the optional methods must answer NOT_IMPLEMENTED, and discovery is checked.
    expect(points).toEqual(
      expect.arrayContaining([
        'module.validates',
        'discovery.loads',
        'lifecycle.create',
        'lifecycle.delete-idempotent',
        'predict.formats',
        'stream.not-implemented',
        'endpoints.not-implemented',
      ]),
    );
    expect(points.length).toBeGreaterThan(30);
  });

  it('passes publint --strict and attw on its packed tarball', async () => {
    check(await npmRun('check:package', project), 'npm run check:package');
  });

  it('is found by berth inside its own folder', async () => {
    const listed = check(await berthIn(project, ['targets', '--json']), 'berth targets');
    expect(JSON.parse(listed.stdout).targets).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: TARGET, packageName: PACKAGE, source: 'project' })]),
    );
  });

  it('packs to a tarball that holds the build and no workspace: specifier', async () => {
    const output = check(
      await run('npm', ['pack', '--pack-destination', root, '--loglevel=error'], project),
      'npm pack',
    );
    packed = join(root, output.stdout.trim().split('\n').at(-1) as string);
    const listing = check(await run('tar', ['-tzf', packed], root), 'tar').stdout;
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).not.toContain('package/src/');
    const manifest = check(await run('tar', ['-xzOf', packed, 'package/package.json'], root), 'tar').stdout;
    expect(manifest).not.toContain('workspace:');
  });
});

function berthIn(cwd: string, args: string[], bin = join(cwd, 'node_modules/.bin/berth')): Promise<ProcessResult> {
  return run(bin, args, cwd, { env: { BERTH_HOME: home }, timeoutMs: 60_000 });
}

async function driveThroughBerth(berth: (args: string[]) => Promise<ProcessResult>, model: string, input: string) {
  const name = `demo-${Math.random().toString(36).slice(2, 8)}`;
  const created = check(await berth(['create', '-t', TARGET, '--name', name, '-m', model]), 'berth create');
  expect(created.stdout).toBe(`linear deployment ${name} is created\n`);
  const listed = check(await berth(['list', '-t', TARGET, '--json']), 'berth list');
  expect(JSON.parse(listed.stdout).map((deployment: { name: string }) => deployment.name)).toContain(name);
  const got = check(await berth(['get', '-t', TARGET, '--name', name]), 'berth get');
  expect(got.stdout).toMatch(new RegExp(`^name: ${name}$`, 'm'));
  expect(got.stdout).toMatch(/^state: ready$/m);
  const predicted = check(await berth(['predict', '-t', TARGET, '--name', name, '-I', input]), 'berth predict');
  expect(JSON.parse(predicted.stdout)).toEqual(EXPECTED);
  const deleted = check(await berth(['delete', '-t', TARGET, '--name', name]), 'berth delete');
  expect(deleted.stdout).toBe(`Deployment ${name} is deleted\n`);
  const missing = await berth(['get', '-t', TARGET, '--name', name]);
  expect(missing.code).toBe(4);
  expect(missing.stderr).toContain(`Deployment '${name}' does not exist`);
}

describe('the packed target, installed next to the packed @berth/cli', () => {
  it('in a project: listed by berth targets, and serves create, list, get, predict and delete', async () => {
    const consumer = join(root, 'consumer');
    await mkdir(consumer);
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    check(await run('npm', ['install', ...NPM_FLAGS, packed, ...berthTarballs()], consumer), 'npm install (project)');
    const listed = check(await berthIn(consumer, ['targets']), 'berth targets');
    expect(listed.stdout).toMatch(new RegExp(`^${TARGET}\\s+${PACKAGE}\\s+0\\.1\\.0\\s+project\\s`, 'm'));
    const help = check(await berthIn(consumer, ['help', '-t', TARGET]), 'berth help');
    expect(help.stdout).toContain(`Target '${TARGET}'`);
    expect(help.stdout).toMatch(/port\s+integer\s+5000/);
    await driveThroughBerth(
      (args) => berthIn(consumer, args),
      join(project, 'examples/linear-model'),
      join(project, 'examples/input.json'),
    );
  });

  it('under a global prefix: found beside the CLI, outside any project', async () => {
    const prefix = join(root, 'global');
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    check(
      await run('npm', ['install', '-g', '--prefix', prefix, ...NPM_FLAGS, ...berthTarballs(), packed], root),
      'npm install -g',
    );
    const berth = (args: string[]) => berthIn(elsewhere, args, join(prefix, 'bin', 'berth'));
    const listed = check(await berth(['targets']), 'berth targets (global)');
    expect(listed.stdout).toMatch(new RegExp(`^${TARGET}\\s+${PACKAGE}\\s+0\\.1\\.0\\s+global\\s`, 'm'));
    await driveThroughBerth(berth, join(project, 'examples/linear-model'), join(project, 'examples/input.json'));
  });
});
