import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_TOKEN, startTestServer, type TestServer, WRITE_TOKEN } from './helpers.js';

// MLflow's own Python `http` deployments client against this server, held without Python: the
// requests MLflow 3.6's client sent and the answers it accepted were recorded by
// __fixtures__/mlflow-client/record.py (against a real local target), and are replayed here against
// the same set-up — deployments iris and iris-b and endpoint front over the bundled iris model, a
// list page size of 2. Every answer must be what MLflow's client was given: status, content type
// and body (tokens, address and model path as placeholders; numbers to 9 significant digits, since
// onnxruntime's float results may differ in the last bits on another CPU).

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '__fixtures__', 'mlflow-client');
const irisModel = resolve(here, '../../../examples/models/iris');
const V1 = '/api/berth/v1';

interface Exchange {
  call: string;
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: { status: number; contentType: string; body: unknown };
}
const exchanges = JSON.parse(readFileSync(join(fixtures, 'exchanges.json'), 'utf8')) as Exchange[];
const client = JSON.parse(readFileSync(join(fixtures, 'mlflow-client.json'), 'utf8')) as {
  recordedWith: string;
  calls: Record<string, { returned?: unknown; raised?: string; message?: string }>;
};

let stateDirectory: string;
let test: TestServer;
const supervisors = new Set<number>();

async function mutate(method: string, path: string, body: unknown): Promise<void> {
  const answer = await test.api(method, path, { body, headers: { prefer: 'wait=60' } });
  const operation = answer.json() as { state: string; result: { supervisorPid?: number } | null };
  if (typeof operation.result?.supervisorPid === 'number') supervisors.add(operation.result.supervisorPid);
  if (operation.state !== 'succeeded') throw new Error(`${method} ${path}: ${answer.text}`);
}

/** The recording's placeholders put back: tokens, the Basic credentials, the model's directory. */
function headersFor(recorded: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(recorded)) {
    let real = value.replaceAll('TOKEN_WRITE', WRITE_TOKEN).replaceAll('TOKEN_READ', READ_TOKEN);
    if (name === 'authorization' && real.startsWith('Basic ')) {
      real = `Basic ${Buffer.from(real.slice('Basic '.length)).toString('base64')}`;
    }
    headers[name] = real;
  }
  return headers;
}

/** A live answer in the recording's terms: placeholders in strings, numbers to 9 digits. */
function normalized(value: unknown, base: string): unknown {
  if (typeof value === 'string') {
    return value.replaceAll(base, 'BASE').replaceAll(irisModel, 'MODEL_URI');
  }
  if (typeof value === 'number') return Number(value.toPrecision(9));
  if (Array.isArray(value)) return value.map((item) => normalized(item, base));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalized(item, base)]));
  }
  return value;
}

beforeAll(async () => {
  stateDirectory = mkdtempSync(join(tmpdir(), 'berth-mlflow-client-wire-'));
  test = await startTestServer({ target: `local:${stateDirectory}`, pageSize: 2 });
  await mutate('POST', `${V1}/deployments`, { name: 'iris', modelUri: irisModel });
  await mutate('POST', `${V1}/deployments`, { name: 'iris-b', modelUri: irisModel });
  await mutate('POST', `${V1}/endpoints`, { name: 'front', config: { traffic: { iris: 50, 'iris-b': 50 } } });
}, 180_000);

afterAll(async () => {
  if (test) {
    await mutate('DELETE', `${V1}/endpoints/front`, {}).catch(() => undefined);
    for (const name of ['iris', 'iris-b'])
      await mutate('DELETE', `${V1}/deployments/${name}`, {}).catch(() => undefined);
    await test.close();
  }
  for (const pid of supervisors) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone, as it should be after the deletes
    }
  }
  if (stateDirectory) rmSync(stateDirectory, { recursive: true, force: true });
}, 120_000);

describe(`what MLflow's http deployments client (${client.recordedWith}) sent and was answered`, () => {
  it('the recording covers list (two pages), get, predict, auth and the errors MLflow reports', () => {
    expect(exchanges.map((exchange) => exchange.call)).toEqual([
      'list_endpoints',
      'list_endpoints',
      'get_endpoint iris',
      'get_endpoint front',
      'predict iris',
      'predict front',
      'predict iris records',
      'list_endpoints basic auth',
      'list_endpoints basic auth',
      'get_endpoint unknown',
      'predict bad input',
      'predict unknown',
      'list_endpoints no token',
      'list_endpoints wrong token',
    ]);
    // MLflow raises NotImplementedError itself for management calls, without a request.
    expect(client.calls.create_endpoint).toEqual({ raised: 'NotImplementedError', message: '' });
  });

  it.each(exchanges.map((exchange, index) => [`${index + 1}. ${exchange.call}`, exchange] as const))(
    '%s: the same answer',
    async (_label, exchange) => {
      const { request, response } = exchange;
      const answer = await fetch(`${test.url}${request.path}`, {
        method: request.method,
        headers: headersFor(request.headers),
        body: request.body === null ? undefined : JSON.stringify(request.body),
      });
      const text = await answer.text();
      expect(answer.status).toBe(response.status);
      expect(answer.headers.get('content-type')).toBe(response.contentType);
      const body = response.contentType.includes('json') ? JSON.parse(text) : text;
      expect(normalized(body, test.url)).toEqual(normalized(response.body, 'BASE'));
    },
  );

  it("what MLflow's client returned follows from those answers (pages joined, endpoint_url resolved)", () => {
    const pages = exchanges.filter((exchange) => exchange.call === 'list_endpoints');
    expect(pages).toHaveLength(2);
    const token = (pages[0] as Exchange).response.body as { next_page_token?: string };
    expect(token.next_page_token).toBeTruthy();
    expect(pages[1]?.request.path).toBe(`/api/2.0/endpoints/?page_token=${token.next_page_token}`);
    const listed = pages.flatMap((page) =>
      (page.response.body as { endpoints: { endpoint_url: string }[] }).endpoints.map((endpoint) => ({
        ...endpoint,
        endpoint_url: `BASE${endpoint.endpoint_url}`,
      })),
    );
    expect(client.calls.list_endpoints?.returned).toEqual(listed);
    expect(listed.map((endpoint) => (endpoint as unknown as { name: string }).name)).toEqual([
      'front',
      'iris',
      'iris-b',
    ]);
    const predicted = exchanges.find((exchange) => exchange.call === 'predict iris');
    expect(client.calls['predict iris']?.returned).toEqual(predicted?.response.body);
    expect(client.calls['get_endpoint unknown']).toMatchObject({ raised: 'HTTPError' });
    expect(client.calls['get_endpoint unknown']?.message).toContain("The endpoint 'nope' is not present or active");
    expect(client.calls['list_endpoints no token']?.message).toContain('401 Client Error: Unauthorized');
  });
});
