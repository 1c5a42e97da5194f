import { existsSync } from 'node:fs';
import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startScoringServer } from '../dist/index.js';
import { irisModel, irisSplit, postJson, temporaryDirectory, writeJsModel } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
let scratch: Awaited<ReturnType<typeof temporaryDirectory>>;

beforeAll(async () => {
  scratch = await temporaryDirectory();
});
afterAll(() => scratch?.remove());

async function jsModel(name: string, options: Parameters<typeof writeJsModel>[1] = {}): Promise<string> {
  const directory = path.join(scratch.path, name);
  await (await import('node:fs/promises')).mkdir(directory, { recursive: true });
  await writeJsModel(directory, options);
  return directory;
}

describe('timeouts and limits', () => {
  it('answers 504 DEADLINE_EXCEEDED when predict outlasts the timeout (inline and in a worker)', async () => {
    // predict is held until the gate opens: the 504 can only come from the deadline, not from the model.
    const gate = path.join(scratch.path, 'slow-gate');
    const model = await jsModel('slow', { gate });
    for (const workers of [0, 1]) {
      await rm(gate, { force: true });
      const server = await startScoringServer({
        modelUri: model,
        allowCode: true,
        workers,
        timeoutSeconds: 0.3,
        logger: false,
      });
      try {
        const response = await postJson(`${server.url}/invocations`, JSON.stringify({ inputs: { a: [1, 2] } }));
        expect(response.status).toBe(504);
        expect(response.json).toMatchObject({ error_code: 'DEADLINE_EXCEEDED' });
        expect(existsSync(gate)).toBe(false);
      } finally {
        await writeFile(gate, '');
        await server.close();
      }
    }
  }, 30_000);

  it('refuses a js model without allowCode', async () => {
    const model = await jsModel('refused');
    await expect(startScoringServer({ modelUri: model, workers: 0, logger: false })).rejects.toThrow(/js/);
  });

  it('answers 413 with MLflow error JSON above the body limit and keeps serving', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, bodyLimitBytes: 1024, logger: false });
    try {
      const big = JSON.stringify({ inputs: { a: Array.from({ length: 1000 }, (_, index) => index) } });
      const response = await postJson(`${server.url}/invocations`, big);
      expect(response.status).toBe(413);
      expect(response.json).toMatchObject({ error_code: 'RESOURCE_EXHAUSTED' });
      expect(response.json.message).toContain('1024');
      const oip = await postJson(`${server.url}/v2/models/iris/infer`, big);
      expect(oip.status).toBe(413);
      expect(typeof oip.json.error).toBe('string');
      expect((await postJson(`${server.url}/invocations`, irisSplit())).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('a plain Error from the model is 400 BAD_REQUEST (with its stack trace under debug)', async () => {
    const model = await jsModel('boom');
    // debug: the answer carries the stack trace (off by default: it names this machine's files).
    const server = await startScoringServer({
      modelUri: model,
      allowCode: true,
      workers: 1,
      logger: false,
      debug: true,
    });
    try {
      const response = await postJson(`${server.url}/invocations`, JSON.stringify({ inputs: { boom: [1] } }));
      expect(response.status).toBe(400);
      expect(response.json.error_code).toBe('BAD_REQUEST');
      expect(response.json.message).toContain('Encountered an unexpected error while evaluating the model');
      expect(response.json.stack_trace).toContain('boom column');
      expect((await postJson(`${server.url}/invocations`, JSON.stringify({ inputs: { a: [1, 2] } }))).json).toEqual({
        predictions: [0, 1],
      });
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('large bodies in a worker', () => {
  it('parses, predicts and serializes in a worker with the same answers and errors as inline', async () => {
    const inWorker = await startScoringServer({ modelUri: irisModel, workers: 1, workerBodyBytes: 1, logger: false });
    const inline = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    try {
      const bodies = [irisSplit(), '{', JSON.stringify({ dataframe_split: { columns: ['a'], data: [['x']] } }), ''];
      for (const body of bodies) {
        for (const format of ['application/json', 'text/csv']) {
          const [worker, local] = await Promise.all(
            [inWorker, inline].map((server) => postJson(`${server.url}/invocations`, body, format)),
          );
          expect(worker?.status, `${format} ${body}`).toBe(local?.status);
          expect(worker?.json?.error_code).toBe(local?.json?.error_code);
          if (local?.status === 200) expect(worker?.json).toEqual(local.json);
          else expect(typeof worker?.json?.message).toBe('string');
        }
      }
      const metrics = await (await fetch(`${inWorker.url}/metrics`)).text();
      // Every request went to the worker whole: nothing ran on the event loop.
      expect(metrics).toMatch(/berth_inference_duration_seconds_count\{mode="worker"\} [1-9]/);
      expect(metrics).not.toMatch(/berth_inference_duration_seconds_count\{mode="inline"\} [1-9]/);
    } finally {
      await inWorker.close();
      await inline.close();
    }
  }, 30_000);
});

describe('metrics', () => {
  it('exposes request, latency, inference, batch, load and process metrics', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 1, maxBatchSize: 8, logger: false });
    try {
      for (let index = 0; index < 5; index++) await postJson(`${server.url}/invocations`, irisSplit());
      await postJson(`${server.url}/invocations`, '{');
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(text).toMatch(/berth_http_requests_total\{route="\/invocations",method="POST",status="200"\} 5/);
      expect(text).toMatch(/berth_http_requests_total\{route="\/invocations",method="POST",status="400"\} 1/);
      expect(text).toMatch(/berth_http_request_duration_seconds_count\{route="\/invocations",method="POST"\} 6/);
      expect(text).toMatch(/berth_inference_duration_seconds_count\{mode="(inline|worker)"\} \d+/);
      expect(text).toMatch(/berth_batch_size_requests_count 5/);
      expect(text).toMatch(/berth_model_load_seconds\{flavor="onnx"\} \d/);
      expect(text).toContain('berth_http_requests_in_flight');
      expect(text).toContain('process_cpu_user_seconds_total');
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('answers written in groups per event-loop turn', () => {
  it('many concurrent requests, good and bad, each get their own answer; an aborted client changes nothing', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    try {
      const row = (seed: number) => [
        4 + (seed % 7) * 0.5,
        2 + (seed % 3) * 0.5,
        1 + (seed % 11) * 0.5,
        0.1 + (seed % 5) * 0.5,
      ];
      // Every fourth body is malformed: 400 answers are interleaved with 200s in the same turns.
      const bodies = Array.from({ length: 96 }, (_, index) =>
        index % 4 === 3 ? `{"dataframe_split": ${index}` : irisSplit([row(index)]),
      );
      const expected: Array<Awaited<ReturnType<typeof postJson>>> = [];
      for (const body of bodies) expected.push(await postJson(`${server.url}/invocations`, body));
      // Clients that send a request and go away before its answer is written.
      const { connect } = await import('node:net');
      const { port } = new URL(server.url);
      for (let index = 0; index < 8; index++) {
        const socket = connect(Number(port), '127.0.0.1');
        const body = irisSplit([row(index)]);
        socket.write(
          `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        socket.on('error', () => undefined);
        setImmediate(() => socket.destroy());
      }
      const answers = await Promise.all(bodies.map((body) => postJson(`${server.url}/invocations`, body)));
      answers.forEach((answer, index) => {
        expect(answer.status).toBe(index % 4 === 3 ? 400 : 200);
        expect(answer.json).toEqual(expected[index]?.json);
        expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(answer.text));
      });
      expect((await postJson(`${server.url}/invocations`, irisSplit())).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('pipelined requests on one connection are answered in order, each with its own answer', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    try {
      const bodies = Array.from({ length: 8 }, (_, index) =>
        index % 3 === 2 ? '{"bad' : irisSplit([[4 + index * 0.5, 3, 1 + index * 0.7, 0.2 + index * 0.3]]),
      );
      const expected: string[] = [];
      for (const body of bodies) {
        const answer = await postJson(`${server.url}/invocations`, body);
        expected.push(`${answer.status} ${answer.text}`);
      }
      const { connect } = await import('node:net');
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      let raw = '';
      socket.on('data', (chunk) => {
        raw += chunk;
      });
      // All eight requests in one write: the server sees them back to back on one socket.
      socket.write(
        bodies
          .map(
            (body) =>
              `POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          )
          .join(''),
      );
      const answers = () =>
        raw
          .split('HTTP/1.1 ')
          .slice(1)
          .map((part) => `${part.slice(0, 3)} ${part.split('\r\n\r\n')[1]}`);
      await vi.waitFor(() => expect(answers()).toHaveLength(bodies.length), { timeout: 10_000, interval: 20 });
      socket.destroy();
      expect(answers()).toEqual(expected);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('a client that leaves in the middle of its body does not stay in the in-flight gauge', async () => {
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false, modelName: 'iris' });
    try {
      const inFlight = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Number(/^berth_http_requests_in_flight (\d+)/m.exec(text)?.[1]);
      };
      // The scrape itself is in flight while it is answered.
      const idle = await inFlight();
      const { connect } = await import('node:net');
      const port = Number(new URL(server.url).port);
      // The MLflow and the OIP prediction routes, twice each.
      for (const route of ['/invocations', '/v2/models/iris/infer', '/invocations', '/v2/models/iris/infer']) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write(
          `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data`,
        );
        // In flight once the server has its headers; out again once the client is gone.
        await expect.poll(inFlight, { timeout: 10_000 }).toBe(idle + 1);
        socket.destroy();
        await expect.poll(inFlight, { timeout: 10_000 }).toBe(idle);
      }
      expect((await postJson(`${server.url}/invocations`, irisSplit())).status).toBe(200);
      expect(await inFlight()).toBe(idle);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('errors from the public API', () => {
  it('a port in use and a swap after close are BerthErrors with codes a caller can act on', async () => {
    const first = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    try {
      const taken = await startScoringServer({
        modelUri: irisModel,
        workers: 0,
        logger: false,
        port: first.port,
      }).catch((error: unknown) => error);
      expect(BerthError.isInstance(taken)).toBe(true);
      expect(taken).toMatchObject({
        code: 'RESOURCE_ALREADY_EXISTS',
        message: `Port ${first.port} on 127.0.0.1 is already in use.`,
      });
    } finally {
      await first.close();
    }
    const refused = await first.swapModel(irisModel).catch((error: unknown) => error);
    expect(BerthError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
  }, 30_000);
});

describe('dynamic batching', () => {
  it('merges concurrent requests and answers each with its own rows', async () => {
    const batched = await startScoringServer({
      modelUri: irisModel,
      workers: 1,
      maxBatchSize: 64,
      maxBatchDelayMs: 20,
      logger: false,
    });
    const plain = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    try {
      const rows = (seed: number) => [[4 + (seed % 4), 3 - (seed % 2) * 0.5, 1 + (seed % 5), 0.2 + (seed % 3)]];
      const bodies = Array.from({ length: 20 }, (_, index) =>
        irisSplit(index % 2 ? rows(index) : [...rows(index), ...rows(index + 1)]),
      );
      const answers = await Promise.all(bodies.map((body) => postJson(`${batched.url}/invocations`, body)));
      const expected = await Promise.all(bodies.map((body) => postJson(`${plain.url}/invocations`, body)));
      answers.forEach((answer, index) => {
        expect(answer.status).toBe(200);
        expect(answer.json).toEqual(expected[index]?.json);
      });
      const metrics = await (await fetch(`${batched.url}/metrics`)).text();
      const runs = Number(/berth_batch_size_requests_count (\d+)/.exec(metrics)?.[1]);
      expect(runs).toBeLessThan(20);
    } finally {
      await batched.close();
      await plain.close();
    }
  }, 30_000);

  it('a bad request in a batch fails alone, the others get their own answers', async () => {
    const model = await jsModel('batch-victim');
    const server = await startScoringServer({
      modelUri: model,
      allowCode: true,
      workers: 0,
      maxBatchSize: 64,
      maxBatchDelayMs: 50,
      logger: false,
      debug: true,
    });
    try {
      const bodies = [[1, 2], [666], [3, 4, 5]].map((values) => JSON.stringify({ inputs: { a: values } }));
      const [first, second, third] = await Promise.all(
        bodies.map((body) => postJson(`${server.url}/invocations`, body)),
      );
      expect(first?.status).toBe(200);
      expect(first?.json).toEqual({ predictions: [0, 1] });
      expect(second?.status).toBe(400);
      expect(second?.json.stack_trace).toContain('666 row');
      expect(third?.status).toBe(200);
      expect(third?.json).toEqual({ predictions: [0, 1, 2] });
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('hot swap and control channel', () => {
  it('control routes are 404 without a token and 401 without the right bearer', async () => {
    const open = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false });
    const guarded = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false, controlToken: TOKEN });
    try {
      expect((await fetch(`${open.url}/-/berth/status`)).status).toBe(404);
      expect((await postJson(`${open.url}/-/berth/swap`, JSON.stringify({ modelUri: irisModel }))).status).toBe(404);
      expect((await fetch(`${guarded.url}/-/berth/status`)).status).toBe(401);
      const wrong = await fetch(`${guarded.url}/-/berth/status`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const swapNoToken = await postJson(`${guarded.url}/-/berth/swap`, JSON.stringify({ modelUri: irisModel }));
      expect(swapNoToken.status).toBe(401);
      const status = await fetch(`${guarded.url}/-/berth/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({ modelUri: irisModel, flavor: 'onnx', pid: process.pid, inFlight: 0 });
    } finally {
      await open.close();
      await guarded.close();
    }
  }, 30_000);

  it('swaps under load with zero failed requests; a failed swap keeps the old model', async () => {
    const copy = path.join(scratch.path, 'iris-copy');
    await cp(irisModel, copy, { recursive: true });
    const server = await startScoringServer({ modelUri: irisModel, workers: 1, logger: false, controlToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    try {
      let stop = false;
      const results = { ok: 0, failed: 0 };
      const deadline = Date.now() + 10_000;
      const load = Array.from({ length: 8 }, async () => {
        while (!stop && Date.now() < deadline) {
          try {
            const response = await postJson(`${server.url}/invocations`, irisSplit());
            if (response.status === 200) results.ok++;
            else results.failed++;
          } catch {
            results.failed++;
          }
        }
      });
      // Each step waits until the load has had more answers, so every phase is served under load.
      const moreAnswers = (count: number) => {
        const target = results.ok + results.failed + count;
        return expect
          .poll(() => results.ok + results.failed, { timeout: 10_000, interval: 10 })
          .toBeGreaterThanOrEqual(target);
      };
      await moreAnswers(10);
      const swap = await fetch(`${server.url}/-/berth/swap`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ modelUri: copy }),
      });
      expect(swap.status).toBe(200);
      expect(await swap.json()).toMatchObject({ modelUri: copy, flavor: 'onnx' });
      await moreAnswers(10);
      const broken = await fetch(`${server.url}/-/berth/swap`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ modelUri: path.join(scratch.path, 'does-not-exist') }),
      });
      expect(broken.status).toBeGreaterThanOrEqual(400);
      expect(((await broken.json()) as { message: string }).message).toContain('old model keeps serving');
      await moreAnswers(10);
      stop = true;
      await Promise.all(load);
      expect(results.failed).toBe(0);
      expect(results.ok).toBeGreaterThan(20);
      expect(server.modelUri).toBe(copy);
      const status = (await (await fetch(`${server.url}/-/berth/status`, { headers: auth })).json()) as {
        modelUri: string;
      };
      expect(status.modelUri).toBe(copy);
      const badBody = await fetch(`${server.url}/-/berth/swap`, {
        method: 'POST',
        headers: auth,
        body: '{"model": 1}',
      });
      expect(badBody.status).toBe(400);
    } finally {
      await server.close();
    }
  }, 40_000);

  it('a model that fails its readiness inference is not swapped in', async () => {
    const failing = await jsModel('fails-readiness', { withExample: true });
    // Its input example has column "a"; make predict throw on every call.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      path.join(failing, 'model.mjs'),
      'export function load() { return { predict() { throw new Error("not ready"); } }; }\n',
    );
    const server = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false, allowCode: true });
    try {
      await expect(server.swapModel(failing)).rejects.toThrow(/unexpected error|not ready/);
      expect(server.flavor).toBe('onnx');
      expect((await postJson(`${server.url}/invocations`, irisSplit())).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 30_000);
});
