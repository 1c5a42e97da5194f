import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTSIDE_VITEST } from './helpers/packages.js';

// The negative half of test/independent-target.test.ts: the same independently written target with
// one contract point broken (getDeployment of a missing name resolves to null instead of rejecting
// with RESOURCE_DOES_NOT_EXIST). The testkit must fail that point, by its id and with the facts, and
// pass the others. It runs in a child vitest (a failing suite here would fail this file).

interface AssertionResult {
  title: string;
  status: string;
  failureMessages: string[];
}

const suiteFolder = fileURLToPath(new URL('./fixtures/independent-target/broken/', import.meta.url));
const vitestBin = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');
let scratch: string;
let results: AssertionResult[];
let exitCode: number | null;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-independent-broken-'));
  const report = join(scratch, 'report.json');
  const environment = Object.fromEntries(
    Object.entries({ ...process.env, ...OUTSIDE_VITEST }).filter(([, value]) => value !== undefined),
  );
  const child = spawn(process.execPath, [vitestBin, 'run', '--config', 'vitest.config.js', `--outputFile=${report}`], {
    cwd: suiteFolder,
    env: environment,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  exitCode = await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const parsed = JSON.parse(await readFile(report, 'utf8').catch(() => '{}'));
  if (!parsed.testResults) throw new Error(`the child vitest wrote no report (exit ${exitCode}): ${stderr}`);
  results = parsed.testResults.flatMap((file: { assertionResults: AssertionResult[] }) => file.assertionResults);
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const pointOf = (title: string) => /^\[([a-z.-]+)\]/.exec(title)?.[1];

describe('@berth/testkit against the independent target with get-missing broken', () => {
  it('fails exactly lifecycle.get-missing, naming the point, the call and what the target did', () => {
    expect(exitCode).toBe(1);
    const failed = results.filter((result) => result.status === 'failed');
    expect(failed.map((result) => pointOf(result.title))).toEqual(['lifecycle.get-missing']);
    const message = failed[0]?.failureMessages.join('\n') ?? '';
    expect(message).toContain('ContractViolation: [lifecycle.get-missing]');
    expect(message).toContain('RESOURCE_DOES_NOT_EXIST');
    expect(message).toMatch(/resolved to null/);
  });

  it('skips the checks that ask getDeployment whether something is gone, not failing them too', () => {
    const dependent = ['lifecycle.create-broken', 'config.create-refuses-unknown', 'lifecycle.delete'];
    const skipped = results.filter((result) => dependent.includes(pointOf(result.title) ?? ''));
    expect(skipped.map((result) => [pointOf(result.title), result.status])).toEqual(
      expect.arrayContaining(dependent.map((point) => [point, 'skipped'])),
    );
  });

  it('still runs and passes the other contract points', () => {
    const passed = results.filter((result) => result.status === 'passed').map((result) => pointOf(result.title));
    expect(passed).toEqual(expect.arrayContaining(['module.validates', 'lifecycle.create', 'predict.response']));
    expect(passed.length).toBeGreaterThan(20);
  });
});
