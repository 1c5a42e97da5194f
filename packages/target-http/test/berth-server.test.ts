import { BerthError, type ProgressEvent } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpDeploymentClient } from '../dist/index.js';
import {
  type BerthServerProcess,
  copyOfIris,
  irisInput,
  irisModel,
  READ_ONLY_TOKEN,
  removeTemporaryDirectories,
  startBerthServer,
  TOKEN,
  temporaryDirectory,
} from './berth-server-process.js';

/** Client-side retries at a test's pace (core's policy; only the waits shrink). */
const fastRetries = { BERTH_HTTP_REQUEST_BACKOFF_FACTOR: '0.25', BERTH_HTTP_REQUEST_BACKOFF_JITTER: '0' };

/** `token: null` sends none. */
function clientFor(server: BerthServerProcess, token: string | null = TOKEN, extra: Record<string, string> = {}) {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...fastRetries, ...extra };
  delete environment.BERTH_TOKEN;
  delete environment.MLFLOW_TRACKING_TOKEN;
  if (token !== null) environment.BERTH_TOKEN = token;
  return new HttpDeploymentClient(server.url, { environment });
}

async function failure(promise: Promise<unknown>): Promise<BerthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(BerthError.isInstance(error), `expected a BerthError, got ${String(error)}`).toBe(true);
  return error as BerthError;
}

afterAll(() => removeTemporaryDirectories());

describe('against a real berth serve -t local', () => {
  let server: BerthServerProcess;
  let client: HttpDeploymentClient;

  beforeAll(async () => {
    server = await startBerthServer({ readOnlyToken: true });
    client = clientFor(server);
  }, 150_000);

  afterAll(async () => {
    for (const name of ['ops', 'aborted', 'ro']) await client.deleteDeployment(name).catch(() => undefined);
    await client.close();
    await server.stop();
  }, 150_000);

  it('follows a create to its end as an operation, with progress that says what stopping means', async () => {
    const events: ProgressEvent[] = [];
    const created = await client.createDeployment('ops', irisModel, { onProgress: (event) => events.push(event) });
    expect(created).toMatchObject({ name: 'ops', flavor: 'onnx', modelUri: irisModel, state: 'ready' });
    expect(events[0]?.message).toMatch(/^creating deployment 'ops': accepted by the server \(operation [\w-]+\)$/);
    for (const event of events) {
      expect(event.interruptHint).toContain(`The server at ${server.url} goes on creating deployment 'ops'`);
    }
    const response = await client.predict('ops', irisInput);
    expect(response.predictions).toHaveLength(3);
  }, 150_000);

  it('an interrupted wait leaves the create running on the server, which finishes it', async () => {
    const controller = new AbortController();
    const waiting = client.createDeployment('aborted', irisModel, {
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stopped waiting')),
    });
    await expect(waiting).rejects.toThrow('stopped waiting');
    await expect
      .poll(async () => (await client.getDeployment('aborted').catch(() => undefined))?.state, { timeout: 60_000 })
      .toBe('ready');
  }, 150_000);

  it('streams and explains through the server', async () => {
    const chunks: Record<string, unknown>[] = [];
    for await (const chunk of client.predictStream('ops', irisInput)) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.flatMap((chunk) => chunk.predictions as unknown[])).toHaveLength(3);
    const explanation = (await client.explain('ops', irisInput)) as { attributions: unknown[] };
    expect(explanation.attributions).toHaveLength(3);
  }, 60_000);

  it('MLflow mode works against the same server’s MLflow routes (list, get, predict, stream)', async () => {
    const mlflow = new HttpDeploymentClient(`${server.url}?server=mlflow`, {
      environment: { ...process.env, BERTH_TOKEN: TOKEN },
    });
    const endpoints = await mlflow.listEndpoints();
    expect(endpoints.find((endpoint) => endpoint.name === 'ops')).toMatchObject({
      endpoint_type: 'berth/deployment',
      endpoint_url: `${server.url}/endpoints/ops/invocations`,
      url: `${server.url}/endpoints/ops/invocations`,
    });
    expect((await mlflow.getEndpoint('ops')).model).toMatchObject({ name: irisModel });
    expect((await mlflow.predict('ops', irisInput)).predictions).toHaveLength(3);
    const chunks: Record<string, unknown>[] = [];
    for await (const chunk of mlflow.predictStream('ops', irisInput)) chunks.push(chunk);
    expect(chunks.flatMap((chunk) => chunk.predictions as unknown[])).toHaveLength(3);
    await expect(mlflow.getEndpoint('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await mlflow.close();
  }, 60_000);

  it('refuses a missing token, a wrong one, and a read-only token on a write', async () => {
    const none = await failure(clientFor(server, null).listDeployments());
    expect(none.code).toBe('UNAUTHENTICATED');
    expect(none.message).toContain('needs credentials (401 Unauthorized)');
    const wrong = await failure(clientFor(server, 'not-the-token-0123456789').listDeployments());
    expect(wrong.code).toBe('UNAUTHENTICATED');
    expect(wrong.message).toContain('refused the credentials from BERTH_TOKEN');

    const readOnly = clientFor(server, READ_ONLY_TOKEN);
    expect((await readOnly.listDeployments()).map((deployment) => deployment.name)).toContain('ops');
    expect((await readOnly.predict('ops', irisInput)).predictions).toHaveLength(3);
    const denied = await failure(readOnly.createDeployment('ro', irisModel));
    expect(denied.code).toBe('PERMISSION_DENIED');
    expect(denied.message).toContain(`not allowed to POST ${server.url}/api/berth/v1/deployments (403 Forbidden)`);
    await readOnly.close();
    expect(server.logs()).not.toContain(TOKEN);
    expect(server.logs()).not.toContain(READ_ONLY_TOKEN);
  }, 60_000);

  it('50 concurrent clients predicting, listing and getting for 3 s: no error', async () => {
    const clients = Array.from({ length: 50 }, () => clientFor(server));
    const until = Date.now() + 3000;
    const counts = { predict: 0, list: 0, get: 0 };
    const errors: unknown[] = [];
    await Promise.all(
      clients.map(async (each, index) => {
        // Bounded in count as well as time: 200 calls per client at most.
        for (let call = 0; call < 200 && Date.now() < until; call++) {
          try {
            if ((index + call) % 3 === 0) {
              expect((await each.predict('ops', irisInput)).predictions).toHaveLength(3);
              counts.predict++;
            } else if ((index + call) % 3 === 1) {
              expect((await each.listDeployments()).some((deployment) => deployment.name === 'ops')).toBe(true);
              counts.list++;
            } else {
              expect((await each.getDeployment('ops')).name).toBe('ops');
              counts.get++;
            }
          } catch (error) {
            errors.push(error);
          }
        }
      }),
    );
    await Promise.all(clients.map((each) => each.close()));
    expect(errors).toEqual([]);
    expect(counts.predict).toBeGreaterThan(0);
    expect(counts.list).toBeGreaterThan(0);
    expect(counts.get).toBeGreaterThan(0);
  }, 60_000);
});

describe('a server restarted in the middle of a poll', () => {
  it('is reported as a lost operation with the state the target keeps, which stays usable', async () => {
    const state = temporaryDirectory('berth-http-restart-');
    let server = await startBerthServer({ stateDirectory: state });
    // Retries 2, 4, 8, … 64 s apart (126 s in all): room for a restart on a busy machine.
    const client = clientFor(server, TOKEN, { BERTH_HTTP_REQUEST_BACKOFF_FACTOR: '1' });
    const restarted: Promise<void>[] = [];
    try {
      const error = await failure(
        client.createDeployment('restart', copyOfIris('restart'), {
          onProgress: () => {
            if (restarted.length > 0) return;
            // The operation is accepted and being polled: the server crashes and comes back on its port.
            restarted.push(
              (async () => {
                await server.kill();
                server = await startBerthServer({ stateDirectory: state, port: server.port });
              })(),
            );
          },
        }),
      );
      await Promise.all(restarted);
      expect(error.code).toBe('ABORTED');
      expect(error.message).toContain(`The server at ${server.url} no longer knows operation`);
      expect(error.message).toMatch(/deployment 'restart' (exists now|does not exist now)/);
      expect(error.suggestions[0]).toContain(`berth get -t ${server.url} --name restart`);

      // What the client said is what the target holds, and the target can go on from there.
      const now = await client.getDeployment('restart').catch((caught: unknown) => caught);
      if (error.message.includes('does not exist now')) {
        expect((now as BerthError).code).toBe('RESOURCE_DOES_NOT_EXIST');
        await client.createDeployment('restart', irisModel);
      } else {
        expect((now as { name: string }).name).toBe('restart');
      }
      await expect
        .poll(async () => (await client.getDeployment('restart').catch(() => undefined))?.state, { timeout: 60_000 })
        .toBe('ready');
      await client.deleteDeployment('restart');
      await expect(client.getDeployment('restart')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    } finally {
      await client.deleteDeployment('restart').catch(() => undefined);
      await client.close();
      await server.stop();
    }
  }, 240_000);
});
