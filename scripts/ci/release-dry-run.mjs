#!/usr/bin/env node
// The release as a maintainer would run it, in a scratch copy of the repository (the checkout is
// never touched): `changeset version`, then `pnpm publish -r --dry-run`. Fails if either fails, if a
// package would take a major version no changeset asked for, or if the checkout changed.
//
//   node scripts/ci/release-dry-run.mjs [--keep]     (--keep leaves the scratch copy and prints its path)
//
// Offline: pnpm 12.4.2's `publish -r --dry-run` asks the registry, for each package, whether its
// version is already published (against an unreachable registry it waits ~70 s on retries, then goes
// on). `--force` ("publish even if the version is already in the registry") skips that question, so
// with it the dry run makes no request at all; no registry auth is needed either. The registry is
// also pointed at a closed loopback port, so even a dry run that forgot to be dry could not upload.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NO_REGISTRY = 'http://127.0.0.1:9/';

function run(command, args, cwd, what) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${what} failed (exit ${result.status ?? result.signal}):\n${output}`);
  }
  return result.stdout;
}

function pnpm(args, cwd, what) {
  const found = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return found.error ? run('npx', ['-y', 'pnpm@12.4.2', ...args], cwd, what) : run('pnpm', args, cwd, what);
}

/** name → { version, directory } of every package under packages/. */
function packages(root) {
  const found = new Map();
  for (const entry of readdirSync(join(root, 'packages'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      const manifest = JSON.parse(readFileSync(join(root, 'packages', entry.name, 'package.json'), 'utf8'));
      if (!manifest.private) found.set(manifest.name, { version: manifest.version, directory: entry.name });
    } catch {
      // not a package
    }
  }
  return found;
}

/** Packages that some pending changeset bumps with `major`. */
function requestedMajors(root) {
  const majors = new Set();
  const folder = join(root, '.changeset');
  for (const name of readdirSync(folder).filter((file) => file.endsWith('.md') && file !== 'README.md')) {
    const front = readFileSync(join(folder, name), 'utf8').match(/^---\n([\s\S]*?)\n---/);
    for (const line of front?.[1].split('\n') ?? []) {
      const bump = line.match(/^\s*["']?([^"':]+(?::[^"':]+)?)["']?\s*:\s*major\s*$/);
      if (bump) majors.add(bump[1]);
    }
  }
  return majors;
}

const major = (version) => Number(version.split('.')[0]);

function main(args) {
  const statusBefore = run('git', ['status', '--porcelain'], repository, 'git status');
  const scratch = mkdtempSync(join(tmpdir(), 'berth-release-dry-run-'));
  try {
    // Tracked and new files (not ignored ones) plus the built dist folders, as a release would see them.
    const files = run('git', ['ls-files', '-co', '--exclude-standard'], repository, 'git ls-files');
    const dist = readdirSync(join(repository, 'packages'))
      .map((name) => `packages/${name}/dist`)
      .filter((path) => spawnSync('test', ['-d', join(repository, path)]).status === 0);
    const list = `${files}${dist.join('\n')}\n`;
    const pack = spawnSync('tar', ['-cf', '-', '-T', '-'], { cwd: repository, input: list, maxBuffer: 1 << 30 });
    if (pack.status !== 0) throw new Error(`copying the repository failed: ${pack.stderr}`);
    const unpack = spawnSync('tar', ['-xf', '-', '-C', scratch], { input: pack.stdout });
    if (unpack.status !== 0) throw new Error(`copying the repository failed: ${unpack.stderr}`);

    // pnpm resolves workspace: ranges from the installed links, so the copy needs its node_modules:
    // from the store the install step filled, no downloads, no build scripts (publishing runs none).
    pnpm(
      ['install', '--offline', '--frozen-lockfile', '--ignore-scripts'],
      scratch,
      'pnpm install in the scratch copy',
    );

    const before = packages(scratch);
    run(join(repository, 'node_modules/.bin/changeset'), ['version'], scratch, 'changeset version');
    const after = packages(scratch);
    const majors = requestedMajors(repository);
    const failures = [];
    for (const [name, { version }] of after) {
      const old = before.get(name)?.version;
      if (old && major(version) > major(old) && !majors.has(name)) {
        failures.push(
          `${name} would go ${old} → ${version}, though no changeset asks for a major bump (check the peer ranges changesets rewrote in packages/${after.get(name).directory}/package.json)`,
        );
      }
    }
    for (const failure of failures) console.log(`FAIL ${failure}`);
    if (failures.length > 0) return 1;

    const published = JSON.parse(
      pnpm(
        ['publish', '-r', '--dry-run', '--no-git-checks', '--force', '--json', '--registry', NO_REGISTRY],
        scratch,
        'pnpm publish -r --dry-run',
      ),
    );
    const versions = published.map((entry) => `${entry.name}@${entry.version}`);
    const missing = [...after.keys()].filter((name) => !published.some((entry) => entry.name === name));
    for (const name of missing) console.log(`FAIL ${name} was not in pnpm publish -r --dry-run's list`);
    console.log(
      `release dry run: changeset version, then ${versions.length} packages would publish: ${versions.join(', ')}`,
    );
    if (missing.length > 0) return 1;
  } finally {
    if (args.includes('--keep')) console.log(`scratch copy kept at ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  const statusAfter = run('git', ['status', '--porcelain'], repository, 'git status');
  if (statusAfter !== statusBefore) {
    console.log(`FAIL the release dry run changed the checkout:\n${statusAfter}`);
    return 1;
  }
  return 0;
}

const started = Date.now();
try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.log(`FAIL ${error.message}`);
  process.exitCode = 1;
}
console.log(`release dry run: ${((Date.now() - started) / 1000).toFixed(1)} s`);
