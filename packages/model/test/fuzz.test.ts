/**
 * Thousands of random and malformed bodies: parsing and predicting may only ever fail with a
 * BerthError carrying a 4xx code (bounded count, seeded, so a failure is reproducible).
 */
import { BerthError } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel, parseScoringRequest, predictionsToJSON } from '../src/index.js';
import { exampleModel } from './paths.js';

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = [
  'dataframe_split',
  'dataframe_records',
  'instances',
  'inputs',
  'params',
  'columns',
  'data',
  'index',
  'signature_name',
];
const NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'a', 'b', 'input', '', '0'];

function randomValue(random: () => number, depth: number): unknown {
  const pick = random();
  if (depth > 4 || pick < 0.35) {
    const scalars = [0, 1, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 'x', '1.5', '', true, false, null, 'NaN', '\u0000', '😀'];
    return scalars[Math.floor(random() * scalars.length)];
  }
  if (pick < 0.7) return Array.from({ length: Math.floor(random() * 5) }, () => randomValue(random, depth + 1));
  const object: Record<string, unknown> = {};
  for (let index = Math.floor(random() * 4); index > 0; index--) {
    const keys = random() < 0.5 ? FIELDS : NAMES;
    object[keys[Math.floor(random() * keys.length)] as string] = randomValue(random, depth + 1);
  }
  return object;
}

function randomBody(random: () => number): string {
  const kind = random();
  if (kind < 0.5) {
    const field = FIELDS[Math.floor(random() * 4)] as string;
    const body: Record<string, unknown> = { [field]: randomValue(random, 0) };
    if (random() < 0.3) body.params = randomValue(random, 1);
    if (random() < 0.1) body[FIELDS[Math.floor(random() * FIELDS.length)] as string] = randomValue(random, 1);
    return JSON.stringify(body);
  }
  if (kind < 0.7) {
    // Valid iris-shaped split with mutations.
    const rows = Array.from({ length: Math.floor(random() * 4) }, () =>
      Array.from({ length: 3 + Math.floor(random() * 3) }, () => randomValue(random, 5)),
    );
    const columns = NAMES.slice(0, 4 + Math.floor(random() * 2) - 1);
    return JSON.stringify({ dataframe_split: { columns, data: rows } });
  }
  if (kind < 0.85) {
    const valid = JSON.stringify({ dataframe_split: { columns: NAMES.slice(0, 4), data: [[5.1, 3.5, 1.4, 0.2]] } });
    return valid.slice(0, Math.floor(random() * valid.length));
  }
  if (kind < 0.95) return JSON.stringify(randomValue(random, 0));
  return Array.from({ length: Math.floor(random() * 40) }, () => String.fromCharCode(Math.floor(random() * 128))).join(
    '',
  );
}

function randomCsv(random: () => number): string {
  const cells = ['1', '2.5', '', 'x', '"q"', '"unterminated', 'NaN', 'True', '-', '1e5'];
  const lines = Array.from({ length: Math.floor(random() * 5) }, () =>
    Array.from({ length: 1 + Math.floor(random() * 5) }, () => cells[Math.floor(random() * cells.length)]).join(
      random() < 0.9 ? ',' : ';',
    ),
  );
  return (random() < 0.7 ? 'sepal_length,sepal_width,petal_length,petal_width\n' : '') + lines.join('\n');
}

function expectClientError(error: unknown, body: string): void {
  if (!BerthError.isInstance(error) || !['BAD_REQUEST', 'INVALID_PARAMETER_VALUE'].includes(error.code)) {
    throw new Error(`body ${JSON.stringify(body).slice(0, 300)} threw ${String(error)}`);
  }
}

describe('fuzz: parseScoringRequest + predict only throw BerthError', () => {
  let iris: LoadedModel;
  let tensorIris: LoadedModel;
  beforeAll(async () => {
    iris = await loadModel(exampleModel('iris'));
    tensorIris = await loadModel(exampleModel('iris-tensor'));
  });
  afterAll(async () => {
    await iris.close();
    await tensorIris.close();
  });

  it('3000 JSON and 500 CSV bodies against column and tensor signatures and no signature', async () => {
    const random = prng(20261129);
    let accepted = 0;
    let rejected = 0;
    const deadline = Date.now() + 60_000;
    for (let round = 0; round < 3500 && Date.now() < deadline; round++) {
      const csv = round >= 3000;
      const body = csv ? randomCsv(random) : randomBody(random);
      const model = round % 3 === 0 ? tensorIris : iris;
      const signature = round % 5 === 4 ? undefined : model.signature;
      try {
        const request = parseScoringRequest(body, csv ? 'csv' : 'json', signature);
        const output = await model.predict(request.input, request.params);
        JSON.parse(predictionsToJSON(output));
        accepted++;
      } catch (error) {
        expectClientError(error, body);
        rejected++;
      }
    }
    expect(accepted + rejected).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  }, 120_000);

  it('deeply nested and oversized shapes are refused cleanly', async () => {
    const deep = `{"inputs": ${'['.repeat(5000)}1${']'.repeat(5000)}}`;
    expect(() => parseScoringRequest(deep, 'json')).toThrow(/nest/);
    const wide = JSON.stringify({ inputs: [[1, 2, 3, 4, 5]] });
    await expect(tensorIris.predict(parseScoringRequest(wide, 'json', tensorIris.signature).input)).rejects.toThrow(
      'Shape of input (1, 5) does not match expected shape (-1, 4)',
    );
  });
});
