import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturesDir, type ReplayServer, startReplayServer } from '../packages/model/test/mlflow-replay-server.js';
import { berthBin, type RunOptions, runBerth } from './helpers/berth-process.js';

// `berth create -t local` with model URIs resolved through a tracking server, as a user runs it:
// MLflow 3 runs:/ URIs against answers recorded from a real MLflow 3.6 server, and the failures
// (unreachable server, not an MLflow server, missing alias) with and without --json.

let home: string;
let replay: ReplayServer;

beforeAll(async () => {
  if (!existsSync(berthBin)) throw new Error(`${berthBin} is missing: build first (pnpm build)`);
  home = await mkdtemp(join(tmpdir(), 'berth-uri-cli-'));
  replay = await startReplayServer('proxied');
});

afterAll(async () => {
  // Deployments this file made are deleted by their tests; the state folder goes with home.
  await replay.close();
  await rm(home, { recursive: true, force: true });
});

const target = () => `local:${join(home, 'state')}`;

function berth(args: string[], options: RunOptions = {}) {
  return runBerth(args, {
    ...options,
    env: { BERTH_HOME: home, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0', ...options.env },
  });
}

async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('berth create -t local with an MLflow 3 runs:/ URI', () => {
  it('deploys the logged model of the run and predicts what MLflow predicts', async () => {
    const uri = `runs:/${replay.manifest.runs.mlflow3}/model`;
    const env = { MLFLOW_TRACKING_URI: replay.url };
    const created = await berth(['create', '-t', target(), '--name', 'mlflow3-run', '-m', uri], { env });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    try {
      const input = join(home, 'input.json');
      await writeFile(input, JSON.stringify({ inputs: replay.manifest.example }));
      const predicted = await berth(['predict', '-t', target(), '--name', 'mlflow3-run', '-I', input], { env });
      expect(predicted.code).toBe(0);
      const answer = JSON.parse(predicted.stdout) as { predictions: { label: number[] } };
      const pyfunc = JSON.parse(await readFile(join(fixturesDir, 'proxied', 'pyfunc-predictions.json'), 'utf8'));
      expect(answer.predictions.label).toEqual(pyfunc[uri].label);
    } finally {
      const deleted = await berth(['delete', '-t', target(), '--name', 'mlflow3-run']);
      expect(deleted.code).toBe(0);
    }
  });
});

describe('model URI failures reach the user with their cause, with and without --json', () => {
  it('an unreachable tracking server: the cause and the address, exit 6', async () => {
    const url = await closedPortUrl();
    const env = { MLFLOW_TRACKING_URI: url };
    const args = ['create', '-t', target(), '--name', 'x', '-m', 'models:/iris/1'];
    const text = await berth(args, { env });
    expect(text.code).toBe(6);
    expect(text.stderr).toContain(
      `Error: Could not reach the MLflow tracking server at ${url} (MLFLOW_TRACKING_URI): connection refused (ECONNREFUSED)`,
    );
    const json = await berth([...args, '--json'], { env });
    expect(json.code).toBe(6);
    const body = JSON.parse(json.stderr) as { error_code: string; message: string; suggestions: string[] };
    expect(body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(body.message).toContain(`${url} (MLFLOW_TRACKING_URI): connection refused (ECONNREFUSED)`);
    expect(body.suggestions[0]).toContain('Check that the server is running');
  });

  it('a web page instead of a tracking server: says so with the status, no page dump, exit 3', async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end(`<html><body><h1>502 Bad Gateway</h1>${'<p>nginx</p>'.repeat(200)}</body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const args = ['create', '-t', target(), '--name', 'x', '-m', 'models:/iris/1', '--json'];
      const json = await berth(args, { env: { MLFLOW_TRACKING_URI: url } });
      expect(json.code).toBe(3);
      const body = JSON.parse(json.stderr) as { message: string };
      expect(body.message).toMatch(
        /is not an MLflow tracking server: GET \/api\/2\.0\/mlflow\/model-versions\/get answered 502 Bad Gateway with an HTML page "502 Bad Gateway nginx/,
      );
      expect(body.message.length).toBeLessThan(300);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a missing alias is RESOURCE_DOES_NOT_EXIST (exit 4) with the aliases the model has', async () => {
    const args = ['create', '-t', target(), '--name', 'x', '-m', 'models:/iris@nobody'];
    const text = await berth(args, { env: { MLFLOW_TRACKING_URI: replay.url } });
    expect(text.code).toBe(4);
    expect(text.stderr).toContain('Error: Registered model alias nobody not found.');
    expect(text.stderr).toContain(
      "Registered model 'iris' has the aliases: challenger (version 2), champion (version 1).",
    );
    const json = await berth([...args, '--json'], { env: { MLFLOW_TRACKING_URI: replay.url } });
    expect(JSON.parse(json.stderr)).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
