import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BerthServerProcess,
  berthCli,
  copyOfIris,
  irisInput,
  irisModel,
  packageDirectory,
  removeTemporaryDirectories,
  startBerthServer,
  TOKEN,
  temporaryDirectory,
} from './berth-server-process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `berth …` as a user runs it: the built CLI in a child process, from this package's folder (a
 * project that declares the http target), with the token in BERTH_TOKEN. Killed by pid after 60 s.
 */
function berth(args: string[], environment: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_TOKEN: TOKEN };
    for (const name of ['BERTH_TARGET', 'MLFLOW_DEPLOYMENTS_TARGET', 'BERTH_DEBUG', 'MLFLOW_TRACKING_TOKEN'])
      delete env[name];
    for (const [name, value] of Object.entries(environment)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    const child = spawn(process.execPath, [berthCli, ...args], {
      cwd: packageDirectory,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let server: BerthServerProcess;
let url: string;
const inputs = temporaryDirectory('berth-http-cli-');
const inputFile = join(inputs, 'input.json');
writeFileSync(inputFile, JSON.stringify(irisInput));
const updatedModel = copyOfIris('iris-v2');

beforeAll(async () => {
  server = await startBerthServer();
  url = server.url;
}, 150_000);

afterAll(async () => {
  await berth(['delete', '-t', url, '--name', 'cli-iris']);
  await server.stop();
  removeTemporaryDirectories();
}, 150_000);

describe('berth … -t http://127.0.0.1:PORT against berth serve -t local, as a user runs it', () => {
  it('create, predict, predict-stream, update, list, get, delete', async () => {
    const created = await berth(['create', '-t', url, '--name', 'cli-iris', '-m', irisModel]);
    expect(created).toMatchObject({ code: 0, stdout: 'onnx deployment cli-iris is created\n' });

    const predicted = await berth(['predict', '-t', url, '--name', 'cli-iris', '-I', inputFile]);
    expect(predicted.code).toBe(0);
    expect((JSON.parse(predicted.stdout) as { predictions: unknown[] }).predictions).toHaveLength(3);

    const streamed = await berth(['predict-stream', '-t', url, '--name', 'cli-iris', '-I', inputFile]);
    expect(streamed.code).toBe(0);
    const lines = streamed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { predictions: unknown[] });
    expect(lines.flatMap((line) => line.predictions)).toHaveLength(3);

    const updated = await berth(['update', '-t', url, '--name', 'cli-iris', '-m', updatedModel, '-C', 'workers=2']);
    expect(updated).toMatchObject({ code: 0, stdout: 'Deployment cli-iris is updated (with flavor onnx)\n' });

    const listed = await berth(['list', '-t', url]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^List of all deployments:\nNAME +FLAVOR +STATE/);
    expect(listed.stdout).toMatch(/cli-iris +onnx +ready +2 /);

    const got = await berth(['get', '-t', url, '--name', 'cli-iris', '--json']);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      name: 'cli-iris',
      modelUri: updatedModel,
      version: 2,
      state: 'ready',
    });
  }, 120_000);

  it('endpoints: create, predict through, update, list, get, delete', async () => {
    const created = await berth(['create-endpoint', '-t', url, '--endpoint', 'cli-ab', '-C', 'traffic=cli-iris:100']);
    expect(created).toMatchObject({ code: 0, stdout: 'Endpoint cli-ab is created\n' });
    const predicted = await berth(['predict', '-t', url, '--endpoint', 'cli-ab', '-I', inputFile]);
    expect((JSON.parse(predicted.stdout) as { predictions: unknown[] }).predictions).toHaveLength(3);
    const updated = await berth([
      'update-endpoint',
      '-t',
      url,
      '--endpoint',
      'cli-ab',
      '-C',
      'traffic={"cli-iris":50}',
    ]);
    expect(updated).toMatchObject({ code: 0, stdout: 'Endpoint cli-ab is updated\n' });
    const listed = await berth(['list-endpoints', '-t', url]);
    expect(listed.stdout).toContain('cli-ab');
    const got = await berth(['get-endpoint', '-t', url, '--endpoint', 'cli-ab', '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ name: 'cli-ab', traffic: { 'cli-iris': 50 } });
    const deleted = await berth(['delete-endpoint', '-t', url, '--endpoint', 'cli-ab']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'Endpoint cli-ab is deleted\n' });
  }, 120_000);

  it('errors read as they do locally: same message, suggestions pointing at this URI, same exit code', async () => {
    const local = await berth(['get', '-t', `local:${temporaryDirectory('berth-http-cli-local-')}`, '--name', 'nope']);
    const remote = await berth(['get', '-t', url, '--name', 'nope']);
    expect(remote.code).toBe(4);
    expect(remote.code).toBe(local.code);
    expect(remote.stderr).toBe(
      `Error: Deployment 'nope' does not exist.\n  List deployments with 'berth list -t ${url}'.\n`,
    );
    expect(local.stderr.split('\n')[0]).toBe(remote.stderr.split('\n')[0]);

    const typo = await berth(['create', '-t', url, '--name', 'cli-typo', '-m', irisModel, '-C', 'worker=2']);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain("Unknown config key for target 'local': 'worker' (did you mean 'workers'?)");

    const taken = await berth(['create', '-t', url, '--name', 'cli-iris', '-m', irisModel]);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toContain("Deployment 'cli-iris' already exists.");

    const unauthenticated = await berth(['list', '-t', url], { BERTH_TOKEN: undefined });
    expect(unauthenticated.code).toBe(8);
    expect(unauthenticated.stderr).toContain('needs credentials (401 Unauthorized)');
    expect(unauthenticated.stderr).toContain('Set BERTH_TOKEN');
  }, 120_000);

  it('deletes, idempotently', async () => {
    const deleted = await berth(['delete', '-t', url, '--name', 'cli-iris']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'Deployment cli-iris is deleted\n' });
    const again = await berth(['delete', '-t', url, '--name', 'cli-iris']);
    expect(again).toMatchObject({ code: 0, stdout: 'Deployment cli-iris is deleted\n' });
    const listed = await berth(['list', '-t', url]);
    expect(listed.stdout).not.toContain('cli-iris');
  }, 120_000);
});
