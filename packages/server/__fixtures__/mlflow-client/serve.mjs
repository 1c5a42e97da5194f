// The server record.py points MLflow's client at: @berth/server (this package's build) in front of a
// real `local` target in a fresh state directory, with MLflow's list page size lowered to 2 so that
// three items page. It creates what the recording reads (deployments iris and iris-b, endpoint
// front over both), prints one JSON line {url, writeToken, readToken, modelUri} on stdout, and on
// SIGTERM deletes all three, closes the server and removes the state directory.
// The test mlflow-client-wire.test.ts sets up the same state with setUpRecordedState().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const modelUri = resolve(here, '../../../../examples/models/iris');
const writeToken = 'recording-write-token-0123456789';
const readToken = 'recording-read-token-0123456789';
const state = mkdtempSync(join(tmpdir(), 'berth-mlflow-client-'));
const server = await startServer({
  target: `local:${state}`,
  port: 0,
  pageSize: 2,
  logger: false,
  tokens: { readWrite: [writeToken], readOnly: [readToken] },
});

async function mutate(method, path, body) {
  const answer = await fetch(`${server.url}/api/berth/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${writeToken}`, 'content-type': 'application/json', prefer: 'wait=60' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const operation = await answer.json();
  if (operation.state !== 'succeeded') throw new Error(`${method} ${path}: ${JSON.stringify(operation)}`);
}

await mutate('POST', '/deployments', { name: 'iris', modelUri });
await mutate('POST', '/deployments', { name: 'iris-b', modelUri });
await mutate('POST', '/endpoints', { name: 'front', config: { traffic: { iris: 50, 'iris-b': 50 } } });
process.stdout.write(`${JSON.stringify({ url: server.url, writeToken, readToken, modelUri })}\n`);

process.once('SIGTERM', async () => {
  await mutate('DELETE', '/endpoints/front', {}).catch(() => {});
  for (const name of ['iris', 'iris-b']) await mutate('DELETE', `/deployments/${name}`, {}).catch(() => {});
  await server.close();
  rmSync(state, { recursive: true, force: true });
  process.exit(0);
});
