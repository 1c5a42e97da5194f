import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from './helpers/berth-process.js';
import { check, NPM_ENVIRONMENT } from './helpers/packages.js';

// scripts/ci/check-packed.mjs, the CI step that checks every published package's tarball: it must
// name each broken point of a bad tarball and pass the repository's real packages.

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(repository, 'scripts/ci/check-packed.mjs');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-check-packed-test-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A tarball laid out as npm's (everything under package/), with these files. */
async function tarball(name: string, files: Record<string, string>): Promise<string> {
  const directory = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(directory, 'package', path)), { recursive: true });
    await writeFile(join(directory, 'package', path), content);
  }
  const file = join(root, `${name}.tgz`);
  check(await runProcess('tar', ['-czf', file, '-C', directory, 'package'], { timeoutMs: 30_000 }), 'tar');
  return file;
}

function checkPacked(args: string[]) {
  return runProcess('node', [script, ...args], { cwd: repository, env: NPM_ENVIRONMENT, timeoutMs: 120_000 });
}

const goodManifest = {
  name: 'berth-target-good',
  version: '1.0.0',
  type: 'module',
  exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' }, './package.json': './package.json' },
  main: './dist/index.js',
  bin: { 'good-tool': './dist/bin.js' },
  peerDependencies: { '@berth/core': '>=0.1.0 <1' },
  deploymentTargets: { good: { entry: '.', summary: 'A good target', uri: 'good' } },
};

describe('scripts/ci/check-packed.mjs', () => {
  it('passes a complete tarball', async () => {
    const file = await tarball('good', {
      'package.json': JSON.stringify(goodManifest),
      'dist/index.js': 'export {};',
      'dist/index.d.ts': 'export {};',
      'dist/bin.js': '',
    });
    const result = await checkPacked([file]);
    expect(result.stdout).toContain('1 of 1 packed packages OK');
    expect(result.code).toBe(0);
  });

  it('fails a tarball with a workspace: range, a missing file and a bad deploymentTargets, one line each', async () => {
    const file = await tarball('broken', {
      'package.json': JSON.stringify({
        ...goodManifest,
        name: 'berth-target-broken',
        dependencies: { '@berth/model': 'workspace:^' },
        deploymentTargets: { Good: '.', other: { entry: './target' } },
      }),
      'dist/index.js': 'export {};', // no dist/index.d.ts, no dist/bin.js
    });
    const result = await checkPacked([file]);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('FAIL berth-target-broken:'));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining('dependencies.@berth/model is "workspace:^"'),
        expect.stringContaining('exports["."] names ./dist/index.d.ts, which is not in the tarball'),
        expect.stringContaining('bin.good-tool names ./dist/bin.js, which is not in the tarball'),
        expect.stringContaining('deploymentTargets.other has entry "./target", which is not a subpath of "exports"'),
        expect.stringContaining(
          'deploymentTargets key "Good" must match pattern "^[a-z][a-z0-9+.-]*$", by @berth/core/schema.json',
        ),
      ]),
    );
    expect(result.stdout).toContain('0 of 1 packed packages OK');
  });

  it('packs a package folder with pnpm itself (workspace: ranges rewritten) and passes @berth/cli', async () => {
    const result = await checkPacked([join(repository, 'packages/cli')]);
    expect(result.stdout).toContain('1 of 1 packed packages OK');
    expect(result.code).toBe(0);
  });

  it('passes every published package of the repository (what CI runs)', async () => {
    const result = await checkPacked([]);
    expect(result.stdout, result.stderr).toMatch(/check-packed: (\d+) of \1 packed packages OK/);
    expect(result.code).toBe(0);
  });
});
