import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunOptions, runProcess, testDirectory } from './helpers/berth-process.js';
import { check, npm, pack } from './helpers/packages.js';

// "A target built against core 1.x keeps working with every later 1.y": a real old build — today's
// core and CLI, packed, installed with npm next to `berth-target-legacy`, which was built against
// @berth/core 0.1.0 (spec v1 = 1.0) and carries its own copy of that core and of zod
// (test/fixtures/legacy/make-legacy.sh made both tarballs).

const repository = join(testDirectory, '..');
const LEGACY_TARGET = join(testDirectory, 'fixtures', 'legacy', 'berth-target-legacy-0.1.0.tgz');

let root: string;
let project: string;
let home: string;

function berth(args: string[], options: RunOptions = {}) {
  return runProcess(join(project, 'node_modules', '.bin', 'berth'), args, {
    cwd: project,
    timeoutMs: 60_000,
    ...options,
    env: { BERTH_HOME: home, ...options.env },
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-legacy-'));
  const core = await pack(join(repository, 'packages', 'core'), join(root, 'tarballs', 'core'));
  const cli = await pack(join(repository, 'packages', 'cli'), join(root, 'tarballs', 'cli'));
  const server = await pack(join(repository, 'packages', 'server'), join(root, 'tarballs', 'server'));
  project = join(root, 'project');
  home = join(root, 'home');
  await mkdir(project);
  await mkdir(home);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'legacy-user', private: true }));
  check(
    await npm(['install', core, cli, server, LEGACY_TARGET], project),
    'npm install core, cli and the legacy target',
  );
}, 300_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a target built against @berth/core 0.1.0, loaded by the current core', () => {
  it('keeps its own old copy of core (the adaptation is exercised, not bypassed)', async () => {
    const modules = join(project, 'node_modules');
    const nested = JSON.parse(
      await readFile(join(modules, 'berth-target-legacy', 'node_modules', '@berth', 'core', 'package.json'), 'utf8'),
    );
    expect(nested.version).toBe('0.1.0');
    expect(nested.exports['./registry']).toBeUndefined(); // the old core, from before the split
    const top = JSON.parse(await readFile(join(modules, '@berth', 'core', 'package.json'), 'utf8'));
    expect(top.exports['./registry']).toBeDefined(); // the current core, with the host entry point
  });

  it('is listed, and serves create/get/list/predict/update/delete through berth', async () => {
    const targets = JSON.parse(check(await berth(['targets', '--json']), 'berth targets').stdout);
    expect(targets.targets.map((target: { name: string }) => target.name)).toContain('legacy');

    const created = JSON.parse(
      check(
        await berth(['create', '-t', 'legacy', '--name', 'old', '-m', 'models/x', '-C', 'replicas=2', '--json']),
        'create',
      ).stdout,
    );
    expect(created).toMatchObject({ name: 'old', modelUri: 'models/x', replicas: 2 });

    const got = JSON.parse(check(await berth(['get', '-t', 'legacy', '--name', 'old', '--json']), 'get').stdout);
    expect(got).toMatchObject({ name: 'old', state: 'ready' });

    await writeFile(join(root, 'input.json'), JSON.stringify({ inputs: [[1], [2], [3]] }));
    const predicted = JSON.parse(
      check(
        await berth(['predict', '-t', 'legacy', '--name', 'old', '-I', join(root, 'input.json'), '--json']),
        'predict',
      ).stdout,
    );
    expect(predicted).toEqual({ predictions: { rows: 3 } });

    const updated = JSON.parse(
      check(await berth(['update', '-t', 'legacy', '--name', 'old', '-C', 'replicas=5', '--json']), 'update').stdout,
    );
    expect(updated.replicas).toBe(5);

    check(await berth(['delete', '-t', 'legacy', '--name', 'old']), 'delete');
    const listed = JSON.parse(check(await berth(['list', '-t', 'legacy', '--json']), 'list').stdout);
    expect(listed).toEqual([]);
  });

  it('its errors, thrown by the old core copy, keep their codes and exit codes', async () => {
    const missing = await berth(['get', '-t', 'legacy', '--name', 'nobody']);
    expect(missing.code).toBe(4); // RESOURCE_DOES_NOT_EXIST
    expect(missing.stderr).toContain("No deployment named 'nobody'");
    const badConfig = await berth(['create', '-t', 'legacy', '--name', 'x', '-m', 'm', '-C', 'replica=2']);
    expect(badConfig.code).toBe(3); // INVALID_PARAMETER_VALUE: unknown key, checked through Standard Schema
    expect(badConfig.stderr).toContain("'replica' (did you mean 'replicas'?)");
  });
});
