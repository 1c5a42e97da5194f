import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeFor, readPredictionInput, toPredictionBody } from './prediction-input.js';

describe('contentTypeFor', () => {
  it('uses the extension, ignoring case and a URL query, unless --content-type is given', () => {
    expect(contentTypeFor('data/in.csv')).toBe('csv');
    expect(contentTypeFor('IN.CSV')).toBe('csv');
    expect(contentTypeFor('https://host/in.csv?token=1')).toBe('csv');
    expect(contentTypeFor('in.json')).toBe('json');
    expect(contentTypeFor('-')).toBe('json');
    expect(contentTypeFor('in.txt', 'csv')).toBe('csv');
    expect(contentTypeFor('in.csv', 'json')).toBe('json');
  });
});

describe('toPredictionBody', () => {
  it('passes scoring-protocol bodies through', () => {
    for (const body of [
      { dataframe_split: { columns: ['a'], data: [[1]] } },
      { dataframe_records: [{ a: 1 }] },
      { instances: [[1, 2]] },
      { inputs: { x: [1] }, params: { k: 1 } },
    ]) {
      expect(toPredictionBody(body)).toBe(body);
    }
  });

  it('wraps a list of records as dataframe_records', () => {
    expect(toPredictionBody([{ a: 1 }, { a: 2, b: 'x' }])).toEqual({ dataframe_records: [{ a: 1 }, { a: 2, b: 'x' }] });
    expect(toPredictionBody([])).toEqual({ dataframe_records: [] });
  });

  it('wraps a list of rows or scalars as dataframe_split data', () => {
    expect(
      toPredictionBody([
        [1, 2],
        [3, 4],
      ]),
    ).toEqual({
      dataframe_split: {
        data: [
          [1, 2],
          [3, 4],
        ],
      },
    });
    expect(toPredictionBody([1, 2])).toEqual({ dataframe_split: { data: [[1], [2]] } });
  });

  it('turns a dict of columns (lists or pandas index dicts) into dataframe_split rows', () => {
    expect(toPredictionBody({ data: [5000] })).toEqual({ dataframe_split: { columns: ['data'], data: [[5000]] } });
    expect(toPredictionBody({ a: { '0': 1, '1': 2 }, b: { '1': 'y', '0': 'x' } })).toEqual({
      dataframe_split: {
        columns: ['a', 'b'],
        data: [
          [1, 'x'],
          [2, 'y'],
        ],
      },
    });
    expect(toPredictionBody({ a: { '0': 1 }, b: { '1': 2 } })).toEqual({
      dataframe_split: {
        columns: ['a', 'b'],
        data: [
          [1, null],
          [null, 2],
        ],
      },
    });
  });

  it('passes other objects (e.g. an LLM body) through unchanged', () => {
    const body = { prompt: 'hello', max_tokens: 3 };
    expect(toPredictionBody(body)).toBe(body);
  });

  it('passes an LLM chat body through although its value is a list', () => {
    const chat = { messages: [{ role: 'user', content: 'Hello' }], temperature: 0 };
    expect(toPredictionBody(chat)).toBe(chat);
    const embeddings = { input: ['a', 'b'] };
    expect(toPredictionBody(embeddings)).toBe(embeddings);
  });

  it('rejects what it cannot read with INVALID_PARAMETER_VALUE', () => {
    for (const input of [42, 'text', null, [{ a: 1 }, 2], { a: [1, 2], b: [1] }]) {
      let error: unknown;
      try {
        toPredictionBody(input);
      } catch (caught) {
        error = caught;
      }
      expect(BerthError.isInstance(error), JSON.stringify(input)).toBe(true);
      expect((error as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});

describe('readPredictionInput', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'berth-cli-input-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads JSON (BOM included) and CSV files', async () => {
    const json = join(directory, 'in.json');
    await writeFile(json, '\uFEFF[{"a": 1}]');
    expect(await readPredictionInput(json)).toEqual({ dataframe_records: [{ a: 1 }] });
    const csv = join(directory, 'in.csv');
    await writeFile(csv, 'a\n1\n');
    expect(await readPredictionInput(csv)).toEqual({ csv: 'a\n1\n' });
  });

  it('names the file in a JSON syntax error', async () => {
    const broken = join(directory, 'broken.json');
    await writeFile(broken, '{');
    await expect(readPredictionInput(broken)).rejects.toThrow(`The input '${broken}' is not valid JSON`);
  });
});
