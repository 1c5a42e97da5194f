import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_POINTS } from '../src/index.js';
import { brokenCases } from './fixtures/broken-target-cases.js';

interface AssertionResult {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const vitestBin = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');
let scratch: string;
let results: AssertionResult[];

/** Runs the broken-target suite in its own vitest process (bounded) and reads its JSON report. */
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-testkit-broken-'));
  const report = join(scratch, 'report.json');
  const args = [vitestBin, 'run', '--config', 'broken-targets.vitest.config.ts', `--outputFile=${report}`];
  const { BERTH_TEST_REPORT: _ignored, ...environment } = process.env;
  const child = spawn(process.execPath, args, { cwd: fixtures, env: environment, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const parsed = JSON.parse(await readFile(report, 'utf8').catch(() => `{"error": ${JSON.stringify(stderr)}}`));
  if (!parsed.testResults) throw new Error(`the fixture run wrote no report: ${stderr}`);
  results = parsed.testResults.flatMap((file: { assertionResults: AssertionResult[] }) => file.assertionResults);
}, 90_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const pointOf = (title: string) => /^\[([a-z.-]+)\]/.exec(title)?.[1];

describe('a target that breaks the contract', () => {
  for (const brokenCase of brokenCases) {
    it(`is told exactly what is wrong: ${brokenCase.id}`, () => {
      const mine = results.filter((result) => result.ancestorTitles[0] === brokenCase.id);
      expect(mine.length, 'every contract point of the case ran or was skipped').toBeGreaterThan(25);
      const failed = Object.fromEntries(
        mine
          .filter((result) => result.status === 'failed')
          .map((result) => [pointOf(result.title), result.failureMessages.join('\n')]),
      );
      expect(Object.keys(failed).sort()).toEqual(Object.keys(brokenCase.fails).sort());
      for (const [point, pattern] of Object.entries(brokenCase.fails)) {
        expect(failed[point]).toContain(`ContractViolation: [${point}]`);
        expect(failed[point]).toMatch(pattern);
      }
      expect(mine.filter((result) => result.status === 'passed').length).toBeGreaterThan(0);
    });
  }

  it('gets test titles that name a known contract point, and a skip note that names the point it needs', () => {
    for (const result of results) expect(Object.keys(CONTRACT_POINTS)).toContain(pointOf(result.title));
    const skipped = results.filter(
      (result) => result.ancestorTitles[0] === 'create answers another name' && result.status === 'skipped',
    );
    expect(skipped.map((result) => pointOf(result.title))).toEqual(
      expect.arrayContaining([
        'lifecycle.create-taken',
        'lifecycle.get',
        'predict.response',
        'lifecycle.update',
        'lifecycle.delete',
      ]),
    );
  });
});
