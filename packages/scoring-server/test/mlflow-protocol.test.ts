import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScoringServerHandle, startScoringServer } from '../dist/index.js';
import { IRIS_COLUMNS, IRIS_ROWS, irisModel, irisRecords, irisSplit, postJson } from './helpers.js';

let server: ScoringServerHandle;
let invocations: string;

beforeAll(async () => {
  server = await startScoringServer({ modelUri: irisModel, workers: 1, logger: false });
  invocations = `${server.url}/invocations`;
}, 60_000);
afterAll(() => server?.close());

describe('MLflow routes', () => {
  it('/ping and /health answer 200 "\\n" as application/json', async () => {
    for (const route of ['/ping', '/health']) {
      const response = await fetch(server.url + route);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.text()).toBe('\n');
    }
  });

  it('/version answers the Berth version', async () => {
    const response = await fetch(`${server.url}/version`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('unknown routes are 404 JSON', async () => {
    const response = await postJson(`${server.url}/nope`, '{}');
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
  });
});

describe('POST /invocations', () => {
  it('split and records orientations, with and without charset, give the same records-oriented predictions', async () => {
    const answers = [];
    for (const contentType of ['application/json', 'application/json; charset=UTF-8']) {
      for (const body of [irisSplit(), irisRecords()]) {
        const response = await postJson(invocations, body, contentType);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        answers.push(response.json);
      }
    }
    const predictions = (answers[0] as { predictions: unknown[] }).predictions;
    expect(predictions).toHaveLength(IRIS_ROWS.length);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('answers CSV', async () => {
    const csv = `${IRIS_COLUMNS.map((column) => `"${column}"`).join(',')}\n${IRIS_ROWS.map((row) => row.join(',')).join('\n')}\n`;
    const response = await postJson(invocations, csv, 'text/csv');
    expect(response.status).toBe(200);
    const json = await postJson(invocations, irisSplit());
    expect(response.json).toEqual(json.json);
  });

  it('rejects malformed JSON with BAD_REQUEST', async () => {
    const response = await postJson(invocations, '{"dataframe_split": ');
    expect(response.status).toBe(400);
    expect(response.json.error_code).toBe('BAD_REQUEST');
    expect(response.json.message).toContain('Invalid input. Ensure that input is a valid JSON formatted string.');
  });

  it.each([
    '1',
    '"1"',
    '[1]',
    '{"unknown": 1}',
    `{"dataframe_split": {"data": [[1,2,3,4]]}, "instances": [[1,2,3,4]]}`,
  ])('rejects %s: not exactly one input field', async (body) => {
    const response = await postJson(invocations, body);
    expect(response.status).toBe(400);
    expect(response.json.error_code).toBe('BAD_REQUEST');
    expect(response.json.message).toContain('The input must be a JSON dictionary with exactly one of the input fields');
  });

  it('rejects records content under dataframe_split and split content under dataframe_records', async () => {
    const records = JSON.parse(irisRecords()).dataframe_records;
    const split = JSON.parse(irisSplit()).dataframe_split;
    const first = await postJson(invocations, JSON.stringify({ dataframe_split: records }));
    expect(first.status).toBe(400);
    expect(first.json.message).toContain('Dataframe split format must be a dictionary. Got list');
    const second = await postJson(invocations, JSON.stringify({ dataframe_records: split }));
    expect(second.status).toBe(400);
    expect(second.json.message).toContain('Dataframe records format must be a list of records. Got dictionary.');
  });

  it('rejects a split whose index length differs from its data', async () => {
    const body = JSON.stringify({ dataframe_split: { columns: IRIS_COLUMNS, data: IRIS_ROWS, index: [0, 1] } });
    const response = await postJson(invocations, body);
    expect(response.status).toBe(400);
    expect(response.json.message).toContain('Provided dataframe_split field is not a valid dataframe representation');
  });

  it('answers an incompatible frame with 400 and a stack trace or schema message', async () => {
    const body = JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [['x', 'y']] } });
    const response = await postJson(invocations, body);
    expect(response.status).toBe(400);
    expect(['BAD_REQUEST', 'INVALID_PARAMETER_VALUE']).toContain(response.json.error_code);
    expect(response.json.message).toMatch(/Failed to predict data|unexpected error/);
  });

  it('answers an empty CSV with BAD_REQUEST and no stack trace (no file paths) by default', async () => {
    const response = await postJson(invocations, '', 'text/csv');
    expect(response.status).toBe(400);
    expect(response.json.error_code).toBe('BAD_REQUEST');
    expect(response.json).not.toHaveProperty('stack_trace');
    expect(response.text).not.toContain(process.cwd());
  });

  it('with debug, error answers carry the stack trace; code and message are the same', async () => {
    const debug = await startScoringServer({ modelUri: irisModel, workers: 0, logger: false, debug: true });
    try {
      for (const [body, type] of [
        ['', 'text/csv'],
        ['{"inputs": [[1, 2', 'application/json'],
      ] as const) {
        const plain = await postJson(invocations, body, type);
        const traced = await postJson(`${debug.url}/invocations`, body, type);
        expect(typeof traced.json.stack_trace).toBe('string');
        expect({ code: traced.json.error_code, message: traced.json.message }).toEqual({
          code: plain.json.error_code,
          message: plain.json.message,
        });
      }
    } finally {
      await debug.close();
    }
  });

  it.each([
    [
      'text/plain',
      "This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'text/plain'.",
    ],
    ['application/json; something=something', "Unrecognized content type parameters: {'something'}."],
    ['application/json; charset=latin-1', 'The scoring server only supports UTF-8'],
    [null, 'This predictor only supports the following content types'],
  ])('answers content type %s with 415 text/plain', async (contentType, message) => {
    const response = await postJson(invocations, irisSplit(), contentType);
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.text).toContain(message);
  });

  it('accepts instances and inputs forms', async () => {
    const reference = (await postJson(invocations, irisSplit())).json;
    const records = JSON.parse(irisRecords()).dataframe_records;
    const instances = await postJson(invocations, JSON.stringify({ instances: records }));
    expect(instances.status).toBe(200);
    expect(instances.json).toEqual(reference);
    const columns = Object.fromEntries(
      IRIS_COLUMNS.map((column, index) => [column, IRIS_ROWS.map((row) => row[index])]),
    );
    const inputs = await postJson(invocations, JSON.stringify({ inputs: columns }));
    expect(inputs.status).toBe(200);
    expect(inputs.json).toEqual(reference);
  });

  it('ignores params the model has no schema for', async () => {
    const body = JSON.stringify({ ...JSON.parse(irisSplit()), params: { unknown: 1 } });
    const response = await postJson(invocations, body);
    expect(response.status).toBe(200);
  });

  it('survives thousands of malformed bodies and still predicts', async () => {
    const bodies = [
      '{',
      '[',
      'null',
      '{"inputs":',
      '\u0000\u0001',
      '{"dataframe_split": 5}',
      '{"dataframe_records": [1,2]}',
      'a,b\n1',
      '{"inputs": {"x": [[[[]]]]}}',
      '{"instances": [{"a": {"b": 1}}]}',
    ];
    let failures = 0;
    const total = 2000;
    const started = Date.now();
    for (let index = 0; index < total; index += 50) {
      const batch = Array.from({ length: 50 }, (_, offset) => {
        const body = bodies[(index + offset) % bodies.length] as string;
        const garbage = `${body}${String.fromCharCode(32 + ((index + offset) % 90)).repeat((index + offset) % 7)}`;
        return postJson(invocations, garbage, (index + offset) % 3 === 0 ? 'text/csv' : 'application/json');
      });
      for (const response of await Promise.all(batch)) if (response.status >= 500 || response.status < 400) failures++;
      if (Date.now() - started > 30_000) break;
    }
    expect(failures).toBe(0);
    const healthy = await postJson(invocations, irisSplit());
    expect(healthy.status).toBe(200);
  }, 60_000);
});
