import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScoringServerHandle, startScoringServer } from '../dist/index.js';
import { IRIS_COLUMNS, IRIS_ROWS, irisModel, irisSplit, postJson } from './helpers.js';

let server: ScoringServerHandle;

beforeAll(async () => {
  server = await startScoringServer({ modelUri: irisModel, workers: 1, logger: false, modelVersion: '3' });
}, 60_000);
afterAll(() => server?.close());

function inferBody(extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    inputs: IRIS_COLUMNS.map((name, index) => ({
      name,
      shape: [IRIS_ROWS.length],
      datatype: 'FP64',
      data: IRIS_ROWS.map((row) => row[index]),
    })),
    ...extra,
  });
}

describe('Open Inference Protocol v2', () => {
  it('server metadata, live and ready', async () => {
    const metadata = (await (await fetch(`${server.url}/v2`)).json()) as { version: unknown };
    expect(metadata).toMatchObject({ name: 'berth-scoring-server', extensions: [] });
    expect(typeof metadata.version).toBe('string');
    const live = await fetch(`${server.url}/v2/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true });
    const ready = await fetch(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  });

  it('model metadata and readiness, with and without version, named after the model directory', async () => {
    for (const base of ['/v2/models/iris', '/v2/models/iris/versions/3']) {
      const metadata = (await (await fetch(server.url + base)).json()) as { inputs: Array<{ name: string }> };
      expect(metadata).toMatchObject({ name: 'iris', versions: ['3'], platform: 'onnx_onnxv1' });
      expect(metadata.inputs.map((input: { name: string }) => input.name)).toEqual(IRIS_COLUMNS);
      expect(metadata.inputs[0]).toMatchObject({ shape: [-1] });
      const ready = await fetch(`${server.url}${base}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ name: 'iris', ready: true });
    }
  });

  it('unknown model or version is 404 {"error"}', async () => {
    for (const path of ['/v2/models/other', '/v2/models/iris/versions/9/ready', '/v2/models/other/infer']) {
      const response = await fetch(
        server.url + path,
        path.endsWith('infer') ? { method: 'POST', body: inferBody() } : {},
      );
      expect(response.status).toBe(404);
      expect(typeof ((await response.json()) as { error: unknown }).error).toBe('string');
    }
  });

  it('infers, echoes the id and matches the MLflow route', async () => {
    const response = await postJson(`${server.url}/v2/models/iris/infer`, inferBody({ id: 'request-7' }));
    expect(response.status).toBe(200);
    const body = response.json as {
      model_name: string;
      id: string;
      model_version: string;
      outputs: Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }>;
    };
    expect(body).toMatchObject({ model_name: 'iris', id: 'request-7', model_version: '3' });
    expect(body.outputs.length).toBeGreaterThan(0);
    const mlflow = (await postJson(`${server.url}/invocations`, irisSplit())).json as {
      predictions: Array<Record<string, unknown>>;
    };
    for (const output of body.outputs) {
      expect(output.shape[0]).toBe(IRIS_ROWS.length);
      expect(output.data).toHaveLength(output.shape.reduce((a, b) => a * b, 1));
      const perRow = output.data.length / IRIS_ROWS.length;
      IRIS_ROWS.forEach((_, row) => {
        const expected = [mlflow.predictions[row]?.[output.name]].flat(Number.POSITIVE_INFINITY);
        const actual = output.data.slice(row * perRow, (row + 1) * perRow);
        expect(actual.length).toBe(expected.length);
        actual.forEach((value, index) => {
          if (typeof value === 'number') expect(value).toBeCloseTo(expected[index] as number, 5);
          else expect(value).toEqual(expected[index]);
        });
      });
    }
  });

  it('generates an id when none is given and filters outputs', async () => {
    const all = (await postJson(`${server.url}/v2/models/iris/infer`, inferBody())).json as {
      id: string;
      outputs: Array<{ name: string }>;
    };
    expect(all.id).toMatch(/^[0-9a-f-]{36}$/);
    const wanted = all.outputs[all.outputs.length - 1]?.name as string;
    const filtered = await postJson(
      `${server.url}/v2/models/iris/versions/3/infer`,
      inferBody({ outputs: [{ name: wanted }] }),
    );
    expect(filtered.status).toBe(200);
    expect((filtered.json.outputs as Array<{ name: string }>).map((output) => output.name)).toEqual([wanted]);
    const unknown = await postJson(`${server.url}/v2/models/iris/infer`, inferBody({ outputs: [{ name: 'nope' }] }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toContain('nope');
  });

  it('rejects bad requests with 4xx {"error"}', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{', /Invalid JSON/],
      ['{"inputs": []}', /Invalid inference request/],
      [JSON.stringify({ inputs: [{ name: 'x', shape: [2], datatype: 'FP99', data: [1, 2] }] }), /datatype/],
      [JSON.stringify({ inputs: [{ name: IRIS_COLUMNS[0], shape: [3], datatype: 'FP64', data: [1, 2] }] }), /needs 3/],
      [
        JSON.stringify({ inputs: [{ name: IRIS_COLUMNS[0], shape: [2], datatype: 'INT32', data: [1.5, 2] }] }),
        /invalid element/,
      ],
      [JSON.stringify({ inputs: [{ name: 'a', shape: [1], datatype: 'FP64', data: [1] }] }), /./],
    ];
    for (const [body, message] of cases) {
      const response = await postJson(`${server.url}/v2/models/iris/infer`, body);
      expect(response.status, body).toBeGreaterThanOrEqual(400);
      expect(response.status, body).toBeLessThan(500);
      expect(response.json.error, body).toMatch(message);
    }
    const wrongType = await postJson(`${server.url}/v2/models/iris/infer`, inferBody(), 'text/csv');
    expect(wrongType.status).toBe(415);
  });

  it('infer bodies over the limit are 413 {"error"}; metrics use the route templates', async () => {
    const small = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false, bodyLimitBytes: 1000 });
    try {
      const large = await postJson(`${small.url}/v2/models/iris/infer`, inferBody({ id: 'x'.repeat(2000) }));
      expect(large.status).toBe(413);
      expect(large.json).toEqual({ error: 'Request body is too large: the limit is 1000 bytes (--body-limit)' });
      expect(large.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect((await postJson(`${small.url}/v2/models/iris/infer`, inferBody())).status).toBe(200);
      expect((await postJson(`${small.url}/v2/models/iris/versions/7/infer`, inferBody())).status).toBe(200);
      const metrics = await (await fetch(`${small.url}/metrics`)).text();
      for (const line of [
        'berth_http_requests_total{route="/v2/models/:name/infer",method="POST",status="413"} 1',
        'berth_http_requests_total{route="/v2/models/:name/infer",method="POST",status="200"} 1',
        'berth_http_requests_total{route="/v2/models/:name/versions/:version/infer",method="POST",status="200"} 1',
      ]) {
        expect(metrics).toContain(line);
      }
    } finally {
      await small.close();
    }
  });
});
