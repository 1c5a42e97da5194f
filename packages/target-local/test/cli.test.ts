import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../dist/index.js';
import {
  copyOfIris,
  destroyStateDirectory,
  irisInput,
  irisModel,
  repositoryRoot,
  temporaryStateDirectory,
} from './helpers.js';

const cli = join(repositoryRoot, 'packages/cli/bin/berth.cjs');
const state = temporaryStateDirectory();
const models = temporaryStateDirectory('berth-models-');
const target = `local:${state}`;
const inputFile = join(models, 'input.json');
writeFileSync(inputFile, JSON.stringify(irisInput));

function berth(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: repositoryRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, BERTH_HOME: state },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  berth('delete-endpoint', '-t', target, '--endpoint', 'cli-ep');
  berth('delete', '-t', target, '--name', 'cli-a');
  destroyStateDirectory(state);
  destroyStateDirectory(models);
}, 60_000);

describe.runIf(existsSync(cli))('the berth binary against -t local', () => {
  it('help lists every config key', () => {
    const help = berth('help', '-t', 'local');
    expect(help.status).toBe(0);
    // Every key of the schema, so a key added without help text fails here.
    const keys = Object.keys(configSchema.shape);
    expect(keys).toEqual(expect.arrayContaining(['port', 'host', 'workers', 'allow_code', 'rollback_to', 'traffic']));
    for (const key of keys) {
      expect(help.stdout).toContain(key);
    }
  });

  it('create → list → get → predict → update → rollback → endpoint → delete', () => {
    const created = berth('create', '-t', target, '--name', 'cli-a', '-m', irisModel);
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('onnx deployment cli-a is created');
    expect(berth('create', '-t', target, '--name', 'cli-a', '-m', irisModel).status).toBe(5);

    const listed = berth('list', '-t', target, '--json');
    expect(listed.status).toBe(0);
    const deployments = JSON.parse(listed.stdout) as { name: string; state: string }[];
    expect(deployments.map((d) => [d.name, d.state])).toEqual([['cli-a', 'ready']]);

    const predicted = berth('predict', '-t', target, '--name', 'cli-a', '-I', inputFile);
    expect(predicted.status).toBe(0);
    expect(JSON.parse(predicted.stdout).predictions).toHaveLength(3);

    const other = copyOfIris(models, 'iris-b');
    expect(berth('update', '-t', target, '--name', 'cli-a', '-m', other).status).toBe(0);
    const got = JSON.parse(berth('get', '-t', target, '--name', 'cli-a', '--json').stdout);
    expect(got.modelUri).toBe(other);
    expect(got.version).toBe(2);

    expect(berth('update', '-t', target, '--name', 'cli-a', '-C', 'rollback_to=1').status).toBe(0);
    const rolled = JSON.parse(berth('get', '-t', target, '--name', 'cli-a', '--json').stdout);
    expect([rolled.modelUri, rolled.version]).toEqual([irisModel, 3]);

    const badKey = berth('update', '-t', target, '--name', 'cli-a', '-C', 'prot=1');
    expect(badKey.status).toBe(3);
    expect(badKey.stderr).toMatch(/port/);

    expect(berth('create-endpoint', '-t', target, '--endpoint', 'cli-ep', '-C', 'traffic=cli-a:1').status).toBe(0);
    const viaEndpoint = berth('predict', '-t', target, '--endpoint', 'cli-ep', '-I', inputFile);
    expect(viaEndpoint.status).toBe(0);
    expect(JSON.parse(viaEndpoint.stdout).predictions).toHaveLength(3);
    expect(berth('delete-endpoint', '-t', target, '--endpoint', 'cli-ep').status).toBe(0);

    expect(berth('delete', '-t', target, '--name', 'cli-a').status).toBe(0);
    expect(berth('delete', '-t', target, '--name', 'cli-a').status).toBe(0);
    expect(berth('get', '-t', target, '--name', 'cli-a').status).toBe(4);
  }, 240_000);

  it('create from a tracking server that refuses says so at each retry while it waits, then fails', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = spawnSync(
      process.execPath,
      [cli, 'create', '-t', target, '--name', 'cli-remote', '-m', 'runs:/abc/model'],
      {
        cwd: repositoryRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          BERTH_HOME: state,
          MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}`,
          MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2',
          MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0',
          MLFLOW_HTTP_REQUEST_BACKOFF_JITTER: '0',
        },
      },
    );
    expect(result.status).toBe(6);
    // Not a terminal: one plain line per retry, before the error.
    for (const retry of [1, 2]) {
      expect(result.stderr).toContain(
        `The MLflow server at http://127.0.0.1:${port} did not answer (connection refused (ECONNREFUSED)); retry ${retry} of 2`,
      );
    }
    expect(result.stderr).toContain(`Could not reach the MLflow tracking server at http://127.0.0.1:${port}`);
  }, 90_000);
});
