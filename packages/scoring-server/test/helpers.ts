import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = path.resolve(packageDir, '../..');
export const irisModel = path.join(repoRoot, 'examples/models/iris');
export const binPath = path.join(packageDir, 'dist/bin.js');

export const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
export const IRIS_ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.2, 2.9, 4.3, 1.3],
  [7.7, 3.0, 6.1, 2.3],
];

export function irisSplit(rows: number[][] = IRIS_ROWS): string {
  return JSON.stringify({ dataframe_split: { columns: IRIS_COLUMNS, data: rows } });
}

export function irisRecords(rows: number[][] = IRIS_ROWS): string {
  return JSON.stringify({
    dataframe_records: rows.map((row) => Object.fromEntries(IRIS_COLUMNS.map((column, index) => [column, row[index]]))),
  });
}

export async function temporaryDirectory(
  prefix = 'berth-scoring-',
): Promise<{ path: string; remove(): Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), prefix));
  return { path: directory, remove: () => rm(directory, { recursive: true, force: true }) };
}

/**
 * A `js` flavor model: with `gate`, holds every prediction until that file exists (at most 20 s);
 * it answers the row count of every request, or throws a
 * plain Error when a column named "boom" is present or the first column holds 666.
 */
export async function writeJsModel(directory: string, options: { gate?: string; withExample?: boolean } = {}) {
  const gate = options.gate === undefined ? 'undefined' : JSON.stringify(options.gate);
  await writeFile(
    path.join(directory, 'model.mjs'),
    `import { existsSync } from 'node:fs';
export function load() {
  return {
    async predict(input) {
      const gate = ${gate};
      for (let waited = 0; gate !== undefined && !existsSync(gate) && waited < 20000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const named = input.kind === 'columns'
        ? input.columns.map((column) => [column.name, column.values])
        : Object.entries(input.tensors).map(([name, tensor]) => [name, tensor.data]);
      if (named.some(([name]) => name === 'boom')) throw new Error('boom column');
      if (Array.from(named[0]?.[1] ?? []).some((value) => Number(value) === 666)) throw new Error('666 row');
      const rows = input.kind === 'columns' ? input.rowCount : Object.values(input.tensors)[0].shape[0];
      return Array.from({ length: rows }, (_, index) => index);
    },
  };
}
`,
  );
  const example = options.withExample ?? false;
  await writeFile(
    path.join(directory, 'MLmodel'),
    `flavors:\n  js:\n    module: model.mjs\n${example ? 'saved_input_example_info:\n  artifact_path: input_example.json\n  type: dataframe\n  pandas_orient: split\n' : ''}`,
  );
  if (example) {
    await writeFile(path.join(directory, 'input_example.json'), JSON.stringify({ columns: ['a'], data: [[1]] }));
  }
}

/** `contentType: null` sends no Content-Type header at all. */
export async function postJson(url: string, body: string, contentType: string | null = 'application/json') {
  const response = await fetch(url, {
    method: 'POST',
    // Bytes, not a string: fetch would add its own text/plain content type to a string body.
    body: Buffer.from(body),
    headers: contentType === null ? {} : { 'content-type': contentType },
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json: json as Record<string, unknown>, headers: response.headers };
}
