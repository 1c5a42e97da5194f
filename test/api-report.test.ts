import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from './helpers/berth-process.js';

// scripts/api-report.mjs gates CI on the recorded API of every package: a package's build whose
// surface differs from its committed report must fail with the package's name and the fix.
// Run here on a temporary package, so the repository's own reports are not touched.

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(repository, 'scripts/api-report.mjs');

let root: string;
let packages: string;
let reports: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-api-report-test-'));
  packages = join(root, 'packages');
  reports = join(root, 'api');
  const demo = join(packages, 'demo');
  await mkdir(join(demo, 'dist'), { recursive: true });
  await writeFile(
    join(demo, 'package.json'),
    JSON.stringify({
      name: '@demo/kit',
      version: '1.0.0',
      type: 'module',
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js' },
        './extra': { types: './dist/extra.d.ts', import: './dist/extra.js' },
        './package.json': './package.json',
      },
    }),
  );
  await writeFile(
    join(demo, 'dist/index.d.ts'),
    'export interface Options { name: string }\nexport declare function greet(options: Options): string;\n',
  );
  await writeFile(join(demo, 'dist/extra.d.ts'), 'export declare const extra: number;\n');
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function apiReport(...args: string[]) {
  return runProcess('node', [script, '--packages', packages, '--reports', reports, ...args], {
    cwd: repository,
    timeoutMs: 120_000,
  });
}

describe('scripts/api-report.mjs', () => {
  it('writes one report per typed entry point, then the unchanged build matches them', async () => {
    const update = await apiReport('--update');
    expect(update.stdout + update.stderr).toContain('2 written');
    expect(update.code).toBe(0);
    expect((await readdir(reports)).sort()).toEqual(['kit-extra.api.md', 'kit.api.md']);
    const report = await readFile(join(reports, 'kit.api.md'), 'utf8');
    expect(report).toContain('export function greet(options: Options): string;');

    const check = await apiReport();
    expect(check.stdout).toContain('2 entry points match their reports');
    expect(check.code).toBe(0);
  });

  it('fails, naming the package and the fix, when an export is added', async () => {
    await appendFile(join(packages, 'demo/dist/index.d.ts'), 'export declare function farewell(): string;\n');
    const check = await apiReport();
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('FAIL API of @demo/kit changed; review and run pnpm api:update');
    expect(check.stdout).not.toContain('(extra) changed'); // the other entry point still matches

    await apiReport('--update');
    expect(await readFile(join(reports, 'kit.api.md'), 'utf8')).toContain('export function farewell(): string;');
    expect((await apiReport()).code).toBe(0);
  });

  it('fails when a type an export refers to changes, though it is not exported itself', async () => {
    const index = join(packages, 'demo/dist/index.d.ts');
    const source = await readFile(index, 'utf8');
    await writeFile(index, source.replace('{ name: string }', '{ name: string; loud?: boolean }'));
    await writeFile(index, (await readFile(index, 'utf8')).replace('export interface Options', 'interface Options'));
    const check = await apiReport();
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('FAIL API of @demo/kit changed');
    await apiReport('--update');
    expect(await readFile(join(reports, 'kit.api.md'), 'utf8')).toContain('loud?: boolean');
  });

  it('fails when an entry point is removed, and names its report', async () => {
    const manifestPath = join(packages, 'demo/package.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    delete manifest.exports['./extra'];
    await writeFile(manifestPath, JSON.stringify(manifest));
    const check = await apiReport();
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('FAIL api/kit-extra.api.md has no entry point any more');
  });
});
