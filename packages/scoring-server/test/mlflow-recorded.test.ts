// MLflow 3.6's own scoring server (`mlflow models serve`), recorded once by
// scripts/mlflow-compat/serving.py on four MLflow-written models (__fixtures__/mlflow-3.6: a tensor
// and a column signature with two outputs, three typed 1-D inputs, one tensor output) and ~80
// requests each — every input format, wrong JSON types, CSV conversions, NaN tokens, a BOM,
// params, routes and methods, error cases — and by scripts/mlflow-compat/unseen.py on thirteen models
// of other kinds (__fixtures__/mlflow-3.6-unseen: a ZipMap classifier, a [N, 1] regressor, a one-hot
// pipeline, int32/bool/float64 columns, 3-D, 1-D, string and named tensors, a string output, an
// optional column, a params schema, no signature) with requests generated from each signature. Berth must answer each one as MLflow did (status,
// content type, Allow, error_code, predictions), except the pairs the recording marks with the
// README's "Differences from MLflow" row they fall under; those must differ exactly as that row says.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScoringServerHandle, startScoringServer } from '../dist/index.js';

interface Answer {
  status: number;
  type: string | null;
  allow?: string;
  error_code?: string;
  message?: string;
  body?: unknown;
  text?: string;
}
interface Exchange {
  request: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
  listed: string | null;
  mlflow: Answer;
}

/** The fixed set (scripts/mlflow-compat/serving.py) and the unseen one (unseen.py, requests from each signature). */
const RECORDINGS = ['mlflow-3.6', 'mlflow-3.6-unseen'].map((folder) => {
  const fixtures = new URL(`./__fixtures__/${folder}/`, import.meta.url);
  const exchanges = JSON.parse(readFileSync(new URL('mlflow-answers.json', fixtures), 'utf8')) as Record<
    string,
    Exchange[]
  >;
  return { folder, fixtures, exchanges };
});

async function send(base: string, exchange: Exchange): Promise<Answer> {
  const response = await fetch(base + exchange.path, {
    method: exchange.method,
    headers: exchange.headers,
    ...(exchange.body === null ? {} : { body: Buffer.from(exchange.body, 'base64') }),
    redirect: 'manual',
  });
  const text = await response.text();
  const answer: Answer = { status: response.status, type: response.headers.get('content-type') };
  const allow = response.headers.get('allow');
  if (allow)
    answer.allow = allow
      .split(',')
      .map((method) => method.trim())
      .sort()
      .join(', ');
  let decoded: unknown;
  try {
    decoded = JSON.parse(text);
  } catch {
    answer.text = text;
    return answer;
  }
  if (decoded !== null && typeof decoded === 'object' && 'error_code' in decoded) {
    const error = decoded as { error_code: string; message: string };
    answer.error_code = error.error_code;
    answer.message = error.message;
  } else {
    answer.body = decoded;
  }
  return answer;
}

/** MLflow's non-finite numbers were recorded as "NaN"/"Infinity"/"-Infinity"; Berth writes null (listed). */
function alike(mlflow: unknown, berth: unknown): boolean {
  if (typeof mlflow === 'string' && /^-?Infinity$|^NaN$/.test(mlflow)) return berth === null;
  if (Array.isArray(mlflow)) {
    return Array.isArray(berth) && mlflow.length === berth.length && mlflow.every((item, i) => alike(item, berth[i]));
  }
  if (mlflow !== null && typeof mlflow === 'object') {
    if (berth === null || typeof berth !== 'object') return false;
    const keys = Object.keys(mlflow);
    return (
      keys.length === Object.keys(berth).length &&
      keys.every((key) => alike((mlflow as Record<string, unknown>)[key], (berth as Record<string, unknown>)[key]))
    );
  }
  if (typeof mlflow === 'number' && typeof berth === 'number') {
    return Math.abs(mlflow - berth) <= 1e-5 * Math.max(1, Math.abs(mlflow), Math.abs(berth));
  }
  return mlflow === berth;
}

/** What each README row says Berth answers instead. */
const LISTED: Record<string, (berth: Answer) => void> = {
  'unknown route: error body': (berth) => {
    expect(berth.status).toBe(404);
    expect(berth.error_code).toBe('ENDPOINT_NOT_FOUND');
    expect(berth.message).toContain('POST /invocations');
  },
  'missing Content-Type': (berth) => {
    expect(berth.status).toBe(415);
    expect(berth.text).toContain('Got no Content-Type header');
  },
  'invalid UTF-8': (berth) => {
    expect(berth.status).toBe(400);
    expect(['BAD_REQUEST', 'INVALID_PARAMETER_VALUE']).toContain(berth.error_code);
  },
  'content-type parameters RFC 9110 allows': (berth) => expect(berth.status).toBe(200),
  'CSV to a tensor-signature model': (berth) => expect(berth.status).not.toBe(500),
  "a column signature with a 2-D output (MLflow's ONNX flavor cannot build its DataFrame)": (berth) =>
    expect(berth.status).toBe(200),
  "several [N, 1] ONNX inputs for a column signature (MLflow's ONNX flavor feeds them 1-D)": (berth) =>
    expect(berth.status).toBe(200),
  "one 1-D ONNX input for a column signature (MLflow's ONNX flavor feeds the frame's values, 2-D)": (berth) =>
    expect(berth.status).toBe(200),
  "a DataFrame to a model without a signature whose output is 2-D (MLflow's ONNX flavor cannot build its DataFrame)": (
    berth,
  ) => expect(berth.status).toBe(200),
  "a model without a signature, one ONNX input: a dict's only tensor feeds it whatever its name": (berth) =>
    expect(berth.status).toBe(200),
};

for (const { folder, fixtures, exchanges: recording } of RECORDINGS) {
  for (const [model, exchanges] of Object.entries(recording)) {
    describe(`${folder}/${model}: answers as MLflow 3.6's scoring server answered`, () => {
      let server: ScoringServerHandle;
      beforeAll(async () => {
        server = await startScoringServer({
          modelUri: fileURLToPath(new URL(model, fixtures)),
          workers: 1,
          logger: false,
        });
      }, 60_000);
      afterAll(() => server?.close());

      it.each(exchanges.filter((exchange) => exchange.listed === null).map((exchange) => [exchange.request, exchange]))(
        '%s',
        async (_label, exchange) => {
          const berth = await send(server.url, exchange);
          const { mlflow } = exchange;
          expect({ status: berth.status, type: berth.type, allow: berth.allow, error_code: berth.error_code }).toEqual({
            status: mlflow.status,
            type: mlflow.type,
            allow: mlflow.allow,
            error_code: mlflow.error_code,
          });
          if (mlflow.body !== undefined) expect(alike(mlflow.body, berth.body), JSON.stringify(berth.body)).toBe(true);
          // MLflow's stack_trace names its machine's files; Berth leaves it out without --debug.
          expect(JSON.stringify(berth)).not.toContain('stack_trace');
        },
      );

      it.each(
        exchanges
          .filter((exchange) => exchange.listed !== null)
          .map((exchange) => [exchange.request, exchange.listed, exchange]),
      )('%s: differs as the README lists (%s)', async (_label, listed, exchange) => {
        const check = LISTED[listed as string];
        expect(check, `no README row named "${listed}"`).toBeDefined();
        check?.(await send(server.url, exchange));
      });
    });
  }
}

it('the README lists every difference the recording marks, and only those', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Differences from MLflow'));
  const marked = new Set(
    RECORDINGS.flatMap(({ exchanges: recording }) =>
      Object.values(recording).flatMap((exchanges) => exchanges.map((exchange) => exchange.listed)),
    ),
  );
  marked.delete(null);
  expect([...marked].sort()).toEqual(Object.keys(LISTED).sort());
  for (const row of marked) expect(section, `README row for "${row}"`).toContain(`| ${row} |`);
});
