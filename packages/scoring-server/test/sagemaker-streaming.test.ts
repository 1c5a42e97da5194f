import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScoringServer } from '../dist/index.js';
import { IRIS_ROWS, irisModel, irisSplit, postJson, temporaryDirectory, writeJsModel } from './helpers.js';

let scratch: Awaited<ReturnType<typeof temporaryDirectory>>;

beforeAll(async () => {
  scratch = await temporaryDirectory('berth-scoring-stream-');
});
afterAll(() => scratch?.remove());

/**
 * A js model that answers each row's `a` doubled, but holds any slice containing a row >= 100
 * until the gate file exists: the test proves earlier lines arrive while a later slice still runs.
 */
async function gatedModel(gate: string): Promise<string> {
  const directory = path.join(scratch.path, 'gated');
  await mkdir(directory, { recursive: true });
  await writeFile(
    path.join(directory, 'model.mjs'),
    `import { existsSync } from 'node:fs';
export function load() {
  return {
    async predict(input) {
      const values = Array.from(input.columns[0].values, Number);
      if (values.some((value) => value >= 100)) {
        const deadline = Date.now() + 20000;
        while (!existsSync(${JSON.stringify(gate)}) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      }
      return values.map((value) => value * 2);
    },
  };
}
`,
  );
  await writeFile(path.join(directory, 'MLmodel'), 'flavors:\n  js:\n    module: model.mjs\n');
  return directory;
}

/** Reads a streamed answer line by line. */
async function* lines(response: Response): AsyncGenerator<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  }
  if (buffered !== '') yield buffered;
}

function streamRequest(url: string, body: string, customAttributes?: string) {
  return fetch(`${url}/invocations`, {
    method: 'POST',
    body: Buffer.from(body),
    headers: {
      'content-type': 'application/json',
      accept: 'application/jsonlines',
      ...(customAttributes ? { 'x-amzn-sagemaker-custom-attributes': customAttributes } : {}),
    },
  });
}

describe('SageMaker mode: streaming /invocations', () => {
  it('iris: chunked JSON Lines, one slice per line, same predictions as one request', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, sagemaker: true, logger: false });
    try {
      const rows = [...IRIS_ROWS, ...IRIS_ROWS, [5.9, 3.0, 5.1, 1.8]];
      const whole = await postJson(`${server.url}/invocations`, irisSplit(rows));
      expect(whole.status).toBe(200);
      const response = await streamRequest(server.url, irisSplit(rows), 'chunk_rows=3');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/jsonlines');
      expect(response.headers.get('transfer-encoding')).toBe('chunked');
      const received: Array<{ predictions: unknown[] }> = [];
      for await (const line of lines(response)) received.push(JSON.parse(line));
      expect(received.map((line) => line.predictions.length)).toEqual([3, 3, 1]);
      expect(received.flatMap((line) => line.predictions)).toEqual(
        (whole.json as { predictions: unknown[] }).predictions,
      );
      // An ordinary request (no JSON Lines Accept) is answered by the usual route.
      expect(whole.headers.get('content-type')).toBe('application/json');
    } finally {
      await server.close();
    }
  }, 30_000);

  it('writes each line as its slice is predicted (the first arrives while a later one is held)', async () => {
    const gate = path.join(scratch.path, 'gate-open');
    const server = await startScoringServer({
      modelUri: await gatedModel(gate),
      allowCode: true,
      workers: 0,
      sagemaker: true,
      logger: false,
    });
    try {
      const response = await streamRequest(
        server.url,
        JSON.stringify({ dataframe_split: { columns: ['a'], data: [[1], [2], [100], [101]] } }),
        'chunk_rows=2',
      );
      const reader = lines(response);
      const first = await reader.next();
      expect(JSON.parse(first.value as string)).toEqual({ predictions: [2, 4] });
      expect(existsSync(gate)).toBe(false);
      await writeFile(gate, '');
      const second = await reader.next();
      expect(JSON.parse(second.value as string)).toEqual({ predictions: [200, 202] });
      expect((await reader.next()).done).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('errors: before the first line an MLflow error status; after it an error line ends the stream', async () => {
    const model = path.join(scratch.path, 'js');
    await mkdir(model, { recursive: true });
    await writeJsModel(model);
    const server = await startScoringServer({
      modelUri: model,
      allowCode: true,
      workers: 0,
      sagemaker: true,
      logger: false,
    });
    try {
      const bad = await streamRequest(server.url, '{"dataframe_split": ');
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ error_code: 'BAD_REQUEST' });

      const failsFirst = await streamRequest(server.url, JSON.stringify({ inputs: { a: [666, 1] } }), 'chunk_rows=1');
      expect(failsFirst.status).toBe(400);
      expect(await failsFirst.json()).toMatchObject({ error_code: 'BAD_REQUEST' });

      const failsLater = await streamRequest(
        server.url,
        JSON.stringify({ inputs: { a: [1, 666, 2] } }),
        'chunk_rows=1',
      );
      expect(failsLater.status).toBe(200);
      const received: Array<Record<string, unknown>> = [];
      for await (const line of lines(failsLater)) received.push(JSON.parse(line));
      expect(received).toHaveLength(2);
      expect(received[0]).toEqual({ predictions: [0] });
      expect(received[1]).toMatchObject({ error_code: 'BAD_REQUEST' });
      expect(String(received[1]?.message)).toContain('unexpected error');

      const badAttribute = await streamRequest(server.url, JSON.stringify({ inputs: { a: [1] } }), 'chunk_rows=none');
      expect(badAttribute.status).toBe(400);
      expect(await badAttribute.json()).toMatchObject({ message: expect.stringContaining('chunk_rows') });

      const noType = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        body: Buffer.from('{}'),
        headers: { accept: 'application/jsonlines' },
      });
      expect(noType.status).toBe(415);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('outside SageMaker mode a JSON Lines Accept gets the ordinary answer', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    try {
      const response = await streamRequest(server.url, irisSplit());
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(((await response.json()) as { predictions: unknown[] }).predictions).toHaveLength(3);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('counts streamed requests in the metrics', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, sagemaker: true, logger: false });
    try {
      await (await streamRequest(server.url, irisSplit())).text();
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/berth_http_requests_total\{route="\/invocations",method="POST",status="200"\} 1/);
      // The scrape itself is the one request in flight: the stream left the gauge.
      expect(metrics).toMatch(/berth_http_requests_in_flight 1\n/);
    } finally {
      await server.close();
    }
  }, 30_000);
});
