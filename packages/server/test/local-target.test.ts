import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalDeploymentClient } from '@berth/target-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseFrames, startTestServer, type TestServer } from './helpers.js';

// The server in front of a real `local` target: real scoring-server processes serving the bundled
// iris model (onnxruntime), in a temporary state directory.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const irisModel = join(root, 'examples/models/iris');
const irisInput = {
  dataframe_split: {
    columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.9, 3.2, 5.7, 2.3],
    ],
  },
};
const V1 = '/api/berth/v1';

let stateDirectory: string;
let targetUri: string;
let test: TestServer;
/** Supervisors this file started, to stop whatever a failed test left running. */
const supervisors = new Set<number>();

type Operation = { id: string; state: string; result: Record<string, unknown> | null; error: unknown };

async function mutate(method: string, path: string, body?: unknown): Promise<Operation> {
  const answer = await test.api(method, path, { body, headers: { prefer: 'wait=60' } });
  const operation = answer.json() as Operation;
  if (typeof operation.result?.supervisorPid === 'number') supervisors.add(operation.result.supervisorPid);
  return operation;
}

async function invoke(name: string, body: unknown = irisInput, headers: Record<string, string> = {}) {
  return test.api('POST', `/endpoints/${name}/invocations`, { body, headers });
}

beforeAll(async () => {
  stateDirectory = mkdtempSync(join(tmpdir(), 'berth-server-local-'));
  targetUri = `local:${stateDirectory}`;
  test = await startTestServer({ target: targetUri });
});

afterAll(async () => {
  for (const name of ['iris', 'iris-b']) await mutate('DELETE', `${V1}/deployments/${name}`).catch(() => undefined);
  await mutate('DELETE', `${V1}/endpoints/front`).catch(() => undefined);
  await test?.close();
  for (const pid of supervisors) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone, as it should be after the deletes
    }
  }
  rmSync(stateDirectory, { recursive: true, force: true });
}, 60_000);

describe('server → local target', () => {
  it('creates a deployment as an operation that ends with a ready Deployment', async () => {
    const operation = await mutate('POST', `${V1}/deployments`, { name: 'iris', modelUri: irisModel });
    expect(operation.error).toBeNull();
    expect(operation).toMatchObject({ state: 'succeeded', result: { name: 'iris', flavor: 'onnx', state: 'ready' } });
    expect(String(operation.result?.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('streams MLflow invocations to the deployment: the same bytes as asking it directly', async () => {
    const deployment = (await test.api('GET', `${V1}/deployments/iris`)).json() as { url: string };
    const direct = await fetch(`${deployment.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(irisInput),
    });
    const directText = await direct.text();
    const proxied = await invoke('iris');
    expect(proxied.status).toBe(200);
    expect(proxied.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(proxied.text).toBe(directText);
    expect((proxied.json() as { predictions: { label: number }[] }).predictions.map((row) => row.label)).toEqual([
      0, 2,
    ]);

    const csv = await invoke('iris', 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n', {
      'content-type': 'text/csv',
    });
    expect((csv.json() as { predictions: { label: number }[] }).predictions[0]?.label).toBe(0);

    const metrics = (await test.api('GET', '/metrics')).text;
    expect(metrics).toMatch(/berth_server_invocations_total\{mode="proxy"\} [2-9]/);
  });

  it("passes the scoring server's own errors through unchanged", async () => {
    const deployment = (await test.api('GET', `${V1}/deployments/iris`)).json() as { url: string };
    const bad = { dataframe_split: { columns: ['nope'], data: [[1]] } };
    const direct = await fetch(`${deployment.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bad),
    });
    const proxied = await invoke('iris', bad);
    expect(proxied.status).toBe(direct.status);
    expect(proxied.status).toBe(400);
    expect(proxied.text).toBe(await direct.text());
    const noType = await fetch(`${test.url}/endpoints/iris/invocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await import('./helpers.js')).WRITE_TOKEN}` },
      body: JSON.stringify(irisInput),
    });
    expect(noType.status).toBe(415);
  });

  it('"stream": true streams the local target\'s predictStream as SSE', async () => {
    const answer = await invoke('iris', { ...irisInput, stream: true });
    expect(answer.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = sseFrames(answer.text);
    expect(frames.at(-1)).toEqual({ data: '[DONE]' });
    expect(JSON.parse(frames[0]?.data as string)).toHaveProperty('predictions');
  });

  it('follows a deployment to its new address after an update moved it, through the server or behind its back', async () => {
    const before = ((await test.api('GET', `${V1}/deployments/iris`)).json() as { url: string }).url;
    const updated = await mutate('PATCH', `${V1}/deployments/iris`, { config: { workers: '0' } });
    expect(updated).toMatchObject({ state: 'succeeded' });
    expect(updated.result?.url).not.toBe(before);
    expect((await invoke('iris')).status).toBe(200);

    // Now an update the server does not see: its cached address dies, the next request finds the new one.
    const outside = new LocalDeploymentClient(targetUri);
    try {
      const moved = await outside.updateDeployment('iris', { config: { workers: 1 } });
      supervisors.add(moved.supervisorPid as number);
      expect(moved.url).not.toBe(updated.result?.url);
    } finally {
      await outside.close();
    }
    const answer = await invoke('iris');
    expect(answer.status).toBe(200);
    expect(answer.json()).toHaveProperty('predictions');
  });

  it("serves an endpoint's router the same way, and management predict through the target", async () => {
    await mutate('POST', `${V1}/deployments`, { name: 'iris-b', modelUri: irisModel });
    const endpoint = await mutate('POST', `${V1}/endpoints`, {
      name: 'front',
      config: { traffic: 'iris:50,iris-b:50' },
    });
    expect(endpoint).toMatchObject({ state: 'succeeded', result: { name: 'front' } });
    const listed = (await test.api('GET', '/api/2.0/endpoints/')).json() as {
      endpoints: { name: string; endpoint_type: string }[];
    };
    expect(listed.endpoints.map((entry) => [entry.name, entry.endpoint_type])).toEqual([
      ['front', 'berth/endpoint'],
      ['iris', 'berth/deployment'],
      ['iris-b', 'berth/deployment'],
    ]);
    for (let index = 0; index < 4; index++) expect((await invoke('front')).status).toBe(200);
    const predicted = await test.api('POST', `${V1}/predict`, { body: { endpoint: 'front', inputs: irisInput } });
    expect((predicted.json() as { predictions: unknown[] }).predictions).toHaveLength(2);
  });

  it('after a delete the name is gone from the MLflow routes', async () => {
    const deleted = await mutate('DELETE', `${V1}/deployments/iris-b`);
    // target-local refuses to delete the last member an endpoint routes to; iris is still there.
    expect(deleted.state).toBe('succeeded');
    expect((await invoke('iris-b')).status).toBe(404);
    expect((await test.api('GET', '/api/2.0/endpoints/iris-b')).status).toBe(404);
  });
});
