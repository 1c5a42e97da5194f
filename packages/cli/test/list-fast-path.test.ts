import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `berth list` through a target's lean list (its package's `./list-deployments` export), as
// bin/berth.cjs runs it from dist/list.cjs: it must print what the full CLI prints, and step aside
// for the full CLI whenever the lean list declines, fails or does not apply. The target here is a
// fixture made for the test, whose client and lean list read the same file.
const BIN = fileURLToPath(new URL('../bin/berth.cjs', import.meta.url));
const FULL = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const VENDORED_CORE = fileURLToPath(
  new URL('../../../test/fixtures/berth-target-bundled/vendored-core.js', import.meta.url),
);

let project: string;
let register: string;
let data: string;

const CLIENT = `import { readFileSync } from 'node:fs';
import { BaseDeploymentClient } from './vendored-core.js';
const file = (uri) => uri.slice(uri.indexOf(':') + 1);
export class LeanFakeClient extends BaseDeploymentClient {
  async createDeployment() { return {}; }
  async updateDeployment() { return {}; }
  async deleteDeployment() {}
  async getDeployment() { return {}; }
  async predict() { return {}; }
  async listDeployments() { return JSON.parse(readFileSync(file(this.targetUri), 'utf8')).deployments; }
}
export function runLocal() {}
export function targetHelp() { return 'lean fake'; }
`;

const LEAN = `'use strict';
const { readFileSync } = require('node:fs');
exports.listDeployments = async (uri) => {
  const { deployments, lean } = JSON.parse(readFileSync(uri.slice(uri.indexOf(':') + 1), 'utf8'));
  if (lean === 'throw') throw new Error('the lean list failed');
  return lean === 'decline' ? undefined : deployments;
};
`;

const DEPLOYMENTS = [
  { name: 'b', flavor: 'onnx', state: 'ready', version: 2, url: 'http://127.0.0.1:1', modelUri: '/m', pid: 10 },
  { name: 'a', flavor: 'onnx', state: 'unhealthy', version: 1, url: 'http://127.0.0.1:2', modelUri: '/m', pid: 11 },
  { name: 'c', flavor: 'onnx', state: 'crashed', version: 1, modelUri: '/m', lastError: 'exited with code 1' },
];

function setData(value: { deployments: unknown[]; lean?: string }) {
  writeFileSync(data, JSON.stringify(value));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  fullCliLoaded: boolean;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', register, file, ...args],
      {
        cwd: project,
        env: { ...process.env, BERTH_HOME: project, BERTH_TARGET: '', MLFLOW_DEPLOYMENTS_TARGET: '', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error.code as number | null) ?? null) : 0,
          stdout,
          stderr: stderr.replace(/^loaded .*\n/gm, ''),
          fullCliLoaded: stderr.includes(`loaded ${pathToFileURL(FULL).href}`),
        }),
    );
  });
}

async function bothWays(args: string[], env: Record<string, string> = {}) {
  const [viaBin, full] = await Promise.all([run(BIN, args, env), run(FULL, args, env)]);
  expect(viaBin.stdout).toBe(full.stdout);
  expect(viaBin.stderr).toBe(full.stderr);
  expect(viaBin.code).toBe(full.code);
  return viaBin;
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'berth-lean-project-'));
  const target = join(project, 'node_modules', 'berth-target-leanfake');
  mkdirSync(target, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'lean-project', private: true, dependencies: { 'berth-target-leanfake': '0.1.0' } }),
  );
  writeFileSync(
    join(target, 'package.json'),
    JSON.stringify({
      name: 'berth-target-leanfake',
      version: '0.1.0',
      type: 'module',
      exports: { '.': './index.js', './list-deployments': './lean.cjs', './package.json': './package.json' },
      deploymentTargets: { leanfake: '.' },
    }),
  );
  writeFileSync(join(target, 'index.js'), CLIENT);
  writeFileSync(join(target, 'lean.cjs'), LEAN);
  copyFileSync(VENDORED_CORE, join(target, 'vendored-core.js'));
  data = join(project, 'deployments.json');
  // Reports every ES module a process loads: the full CLI is one, the lean path loads none.
  const hooks = join(project, 'hooks.mjs');
  writeFileSync(
    hooks,
    "export async function load(url, context, next) { process._rawDebug('loaded ' + url); return next(url, context); }\n",
  );
  register = join(project, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
});

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('berth list through a lean list', () => {
  it('prints what the full CLI prints (table, "more fields" hint, --json) without loading it', async () => {
    setData({ deployments: DEPLOYMENTS });
    for (const args of [
      ['list', '-t', `leanfake:${data}`],
      ['list', '--target', `leanfake:${data}`, '--json'],
      ['list', `--target=leanfake:${data}`],
    ]) {
      const viaBin = await bothWays(args);
      expect(viaBin.code, args.join(' ')).toBe(0);
      expect(viaBin.fullCliLoaded, args.join(' ')).toBe(false);
    }
    const table = await run(BIN, ['list', '-t', `leanfake:${data}`]);
    expect(table.stdout).toContain('List of all deployments:\nNAME  FLAVOR  STATE      VERSION  URL');
    expect(table.stdout).toContain("(more fields: 'berth get -t leanfake:");
    const json = await run(BIN, ['list', '-t', `leanfake:${data}`, '--json']);
    expect(JSON.parse(json.stdout)).toEqual(DEPLOYMENTS);
  }, 60_000);

  it('takes the target from BERTH_TARGET as the full CLI does, and prints an empty list the same', async () => {
    setData({ deployments: [] });
    const viaBin = await bothWays(['list'], { BERTH_TARGET: `leanfake:${data}` });
    expect([viaBin.code, viaBin.stdout, viaBin.fullCliLoaded]).toEqual([0, 'No deployments.\n', false]);
  }, 60_000);

  it.each([
    ['declines', 'decline'],
    ['fails', 'throw'],
  ])(
    'leaves the answer to the full CLI when the lean list %s',
    async (_, lean) => {
      setData({ deployments: DEPLOYMENTS, lean });
      const viaBin = await bothWays(['list', '-t', `leanfake:${data}`]);
      expect(viaBin.code).toBe(0);
      expect(viaBin.fullCliLoaded).toBe(true);
      expect(viaBin.stdout).toContain('unhealthy');
    },
    60_000,
  );

  it('leaves to the full CLI what the lean path does not take: other options, no target, unknown targets', async () => {
    setData({ deployments: DEPLOYMENTS });
    for (const args of [
      ['list', '-t', `leanfake:${data}`, '--endpoint', 'e'],
      ['list', '-t', `leanfake:${data}`, '--json', '--json'],
      ['list', '-t', `leanfake:${data}`, '-t', `leanfake:${data}`],
      ['list', '-t'],
      ['list'],
      ['list', '-t', 'nosuchtarget'],
      ['list', '--help'],
    ]) {
      const viaBin = await run(BIN, args);
      const full = await run(FULL, args);
      expect(viaBin.fullCliLoaded, args.join(' ')).toBe(true);
      expect([viaBin.code, viaBin.stdout, viaBin.stderr], args.join(' ')).toEqual([
        full.code,
        full.stdout,
        full.stderr,
      ]);
    }
  }, 120_000);
});
