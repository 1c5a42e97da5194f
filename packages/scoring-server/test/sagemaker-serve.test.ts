import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { binPath, irisModel, irisSplit, postJson, temporaryDirectory } from './helpers.js';

let scratch: Awaited<ReturnType<typeof temporaryDirectory>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  scratch = await temporaryDirectory('berth-scoring-serve-');
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
});
afterAll(() => scratch?.remove());

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `berth-scoring-server serve` exactly as the image's entrypoint runs it, configured by environment only. */
function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [binPath, 'serve', '--host', '127.0.0.1'], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function waitForPing(url: string, exited: Promise<unknown>): Promise<void> {
  const answered = vi.waitFor(async () => expect((await fetch(`${url}/ping`)).status).toBe(200), {
    timeout: 30_000,
    interval: 50,
  });
  const died = exited.then(() => {
    throw new Error(`the server exited before ${url}/ping answered 200`);
  });
  await Promise.race([answered, died]);
}

describe('berth-scoring-server serve (the SageMaker container contract)', () => {
  it('reads the model from BERTH_SAGEMAKER_MODEL_DIR and the port from SAGEMAKER_BIND_TO_PORT', async () => {
    const modelDir = path.join(scratch.path, 'iris-root/opt/ml/model');
    await mkdir(path.dirname(modelDir), { recursive: true });
    await cp(irisModel, modelDir, { recursive: true });
    const port = await freePort();
    const server = serve({ SAGEMAKER_BIND_TO_PORT: String(port), BERTH_SAGEMAKER_MODEL_DIR: modelDir });
    const url = `http://127.0.0.1:${port}`;
    await waitForPing(url, server.exited);
    const answer = await postJson(`${url}/invocations`, irisSplit());
    expect(answer.status).toBe(200);
    expect((answer.json as { predictions: unknown[] }).predictions).toHaveLength(3);
    // Every path other than the contract's and the scoring protocol's is a 404.
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 40_000);

  it('a js model runs only with BERTH_ALLOW_CODE=true; SIGTERM lets an in-flight stream finish', async () => {
    const modelDir = path.join(scratch.path, 'js-root/opt/ml/model');
    await mkdir(modelDir, { recursive: true });
    await writeFile(
      path.join(modelDir, 'model.mjs'),
      `export function load() {
  return {
    async predict(input) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return Array.from(input.columns[0].values, (value) => Number(value) + 1);
    },
  };
}
`,
    );
    await writeFile(path.join(modelDir, 'MLmodel'), 'flavors:\n  js:\n    module: model.mjs\n');

    const refused = serve({ SAGEMAKER_BIND_TO_PORT: String(await freePort()), BERTH_SAGEMAKER_MODEL_DIR: modelDir });
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toContain('failed to start');

    const port = await freePort();
    const server = serve({
      SAGEMAKER_BIND_TO_PORT: String(port),
      BERTH_SAGEMAKER_MODEL_DIR: modelDir,
      MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'js',
      BERTH_ALLOW_CODE: 'true',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForPing(url, server.exited);
    const response = await fetch(`${url}/invocations`, {
      method: 'POST',
      body: Buffer.from(JSON.stringify({ dataframe_split: { columns: ['a'], data: [[1], [2], [3]] } })),
      headers: {
        'content-type': 'application/json',
        accept: 'application/jsonlines',
        'x-amzn-sagemaker-custom-attributes': 'chunk_rows=1',
      },
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('{"predictions":[2]}\n');
    // Stop the container while two slices are still to come: they are predicted and sent first.
    server.child.kill('SIGTERM');
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('{"predictions":[3]}\n{"predictions":[4]}\n');
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('draining');
  }, 60_000);
});
