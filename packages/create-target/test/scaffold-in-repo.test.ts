import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Capability, scaffoldTarget } from '../src/index.js';
import { runTool } from './run-tool.js';

// Scaffolds inside this package (test/.generated-*), so the generated project resolves @berth/core,
// @berth/testkit, zod and the toolchain from the repository's node_modules without an npm install;
// then runs its own lint, typecheck, build and tests. test/create-target.test.ts in the repository
// root does the same the npm way, from packed tarballs.
const here = fileURLToPath(new URL('.', import.meta.url));
const repository = join(here, '../../..');
const bin = (name: string) => join(repository, 'node_modules/.bin', name);
const made: string[] = [];

afterAll(async () => {
  for (const directory of made) await rm(directory, { recursive: true, force: true });
});

async function scaffold(target: string, capabilities: Capability[]) {
  const directory = join(here, `.generated-${target}`);
  await rm(directory, { recursive: true, force: true });
  made.push(directory);
  return scaffoldTarget({ directory, target, capabilities });
}

function expectSuccess(result: { code: number | null; output: string }, what: string) {
  expect(result.code, `${what} failed:\n${result.output}`).toBe(0);
}

describe.each([
  { target: 'x1', capabilities: [] as Capability[], full: false },
  { target: 'a-very-long-target-named', capabilities: ['stream', 'explain', 'endpoints'] as Capability[], full: true },
])('a scaffold of $target with [$capabilities]', ({ target, capabilities, full }) => {
  let directory: string;

  it('passes Biome and the type checker as generated', async () => {
    ({ directory } = await scaffold(target, capabilities));
    expectSuccess(await runTool(bin('biome'), ['check', '.'], { cwd: directory }), 'biome check');
    expectSuccess(await runTool(bin('tsc'), ['-p', '.'], { cwd: directory }), 'tsc');
  }, 120_000);

  if (!full) return;
  it('builds and passes its unit tests and every contract point of @berth/testkit', async () => {
    expectSuccess(await runTool(bin('tsup'), [], { cwd: directory }), 'tsup');
    const report = join(directory, 'report.json');
    const run = await runTool(bin('vitest'), ['run', '--reporter=json', `--outputFile=${report}`], {
      cwd: directory,
      env: { BERTH_TEST_REPORT: undefined },
    });
    expectSuccess(run, 'vitest run');
    const results = JSON.parse(await readFile(report, 'utf8'));
    const titles: string[] = results.testResults.flatMap(
      (file: { assertionResults: { title: string; status: string }[] }) =>
        file.assertionResults.filter((test) => test.status === 'passed').map((test) => test.title),
    );
    expect(results.numFailedTests).toBe(0);
    // Every capability declared, so nothing is skipped: stream, explain and endpoints are checked working.
    expect(results.numPendingTests).toBe(0);
    for (const point of [
      'lifecycle.create',
      'stream.chunks',
      'explain.result',
      'endpoints.predict',
      'discovery.loads',
    ]) {
      expect(
        titles.some((title) => title.startsWith(`[${point}]`)),
        point,
      ).toBe(true);
    }
  }, 300_000);
});
