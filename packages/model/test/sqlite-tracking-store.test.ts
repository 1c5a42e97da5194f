/**
 * `MLFLOW_TRACKING_URI=sqlite:///…` against real MLflow databases: the one the fixture tracking
 * server wrote (schema of MLflow 3.6, artifacts in a plain artifact root) and one at an older
 * schema revision made with MLflow's own migrations. Read-only; predictions compared with MLflow's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadMLmodel, loadModel, predictionsToJSON, resolveModelUri } from '../src/index.js';
import { openTrackingStore } from '../src/open-tracking-store.js';
import { fixturesDir, readManifest } from './mlflow-replay-server.js';
import { suiteTempDir, tempDir } from './temp-dir.js';

const savedEnv = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (error) {
    expect(BerthError.isInstance(error)).toBe(true);
    return error as BerthError;
  }
  throw new Error('expected a rejection');
}

/**
 * A copy of a committed database whose artifact locations point at the committed artifacts (the
 * database records the absolute paths of the machine that made it; the test only rewrites those).
 */
async function relocatedCopy(mode: 'plain' | 'old-schema', into: string): Promise<string> {
  const recordedRoot = (await readFile(path.join(fixturesDir, mode, 'recorded-artifact-root.txt'), 'utf8')).trim();
  const file = path.join(into, `${mode}.db`);
  await copyFile(path.join(fixturesDir, mode, 'mlflow.db'), file);
  const database = new Database(file);
  const root = path.join(fixturesDir, mode, 'artifacts');
  const columns: Array<[string, string]> = [
    ['experiments', 'artifact_location'],
    ['runs', 'artifact_uri'],
    ['model_versions', 'source'],
    ...(mode === 'plain'
      ? ([
          ['model_versions', 'storage_location'],
          ['logged_models', 'artifact_location'],
        ] as Array<[string, string]>)
      : []),
  ];
  for (const [table, column] of columns) {
    database.prepare(`UPDATE ${table} SET ${column} = replace(${column}, ?, ?)`).run(recordedRoot, root);
  }
  database.close();
  return file;
}

type Prediction = { label: number[]; probabilities: number[][] };

async function predict(directory: string, example: number[][]): Promise<Prediction> {
  const model = await loadModel(directory);
  try {
    const output = await model.predict({
      kind: 'tensors',
      tensors: { '': { dtype: 'float32', shape: [example.length, 4], data: Float32Array.from(example.flat()) } },
    });
    return (JSON.parse(predictionsToJSON(output)) as { predictions: Prediction }).predictions;
  } finally {
    await model.close();
  }
}

function expectClose(ours: Prediction, theirs: Prediction): void {
  expect(ours.label).toEqual(theirs.label);
  ours.probabilities.flat().forEach((value, index) => {
    expect(value).toBeCloseTo(theirs.probabilities.flat()[index] as number, 6);
  });
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

describe("MLflow 3.6's SQLite database, read directly", () => {
  const manifest = readManifest('plain');
  let database: string;
  let pyfunc: Record<string, Prediction>;

  beforeAll(async () => {
    database = await relocatedCopy('plain', await suiteTempDir('berth-sqlite-'));
    pyfunc = JSON.parse(await readFile(path.join(fixturesDir, 'plain', 'pyfunc-predictions.json'), 'utf8'));
  });

  const use = () => {
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${database}`;
  };

  it('every URI form resolves as through the server, and predicts what MLflow predicts', async () => {
    use();
    const before = await sha256(database);
    const cacheDir = await tempDir();
    const { runs, models } = manifest;
    const cases: Array<[string, string | undefined, string | undefined]> = [
      [`runs:/${runs.mlflow3}/model`, undefined, models.mlflow3],
      [`runs:/${runs['mlflow3-retrained']}/model`, undefined, models['mlflow3-retrained']],
      [`runs:/${runs['mlflow2-layout']}/legacy`, undefined, undefined],
      ['models:/iris/1', '1', models.mlflow3],
      ['models:/iris/latest', '2', models['mlflow3-retrained']],
      ['models:/iris/Staging', '2', models['mlflow3-retrained']],
      ['models:/iris/production', '1', models.mlflow3],
      ['models:/iris@champion', '1', models.mlflow3],
      ['models:/iris@challenger', '2', models['mlflow3-retrained']],
      ['models:/iris-legacy/1', '1', undefined],
      [`models:/${models.mlflow3}`, undefined, models.mlflow3],
    ];
    for (const [uri, version, modelId] of cases) {
      const directory = await resolveModelUri(uri, { cacheDir });
      if (modelId !== undefined) expect((await loadMLmodel(directory)).raw.model_id).toBe(modelId);
      if (version !== undefined) {
        const meta = parseYaml(await readFile(path.join(directory, 'registered_model_meta'), 'utf8'));
        expect(meta.model_version).toBe(version);
      }
      expectClose(await predict(directory, manifest.example), pyfunc[uri] as Prediction);
    }
    // Read-only: the database is byte-for-byte unchanged and no journal was left beside it.
    expect(await sha256(database)).toBe(before);
    expect(
      (await readdir(path.dirname(database))).filter((name) => name.includes('-journal') || name.endsWith('-wal')),
    ).toEqual([]);
  });

  it.each([
    ['runs:/0123456789abcdef0123456789abcdef/model', 'Run with id=0123456789abcdef0123456789abcdef not found'],
    ['models:/nope/1', 'Registered Model with name=nope not found'],
    ['models:/nope/latest', 'Registered Model with name=nope not found'],
    ['models:/nope@champion', 'Registered Model with name=nope not found'],
    ['models:/iris/7', 'Model Version (name=iris, version=7) not found'],
    ['models:/iris@nobody', 'Registered model alias nobody not found.'],
    ['models:/iris/Archived', "No versions of model with name 'iris' and stage 'Archived' found"],
    ['models:/empty-model/latest', "No versions of model with name 'empty-model' found"],
    [
      'models:/m-0123456789abcdef0123456789abcdef',
      "Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found.",
    ],
  ])('%s is RESOURCE_DOES_NOT_EXIST: %s', async (uri, message) => {
    use();
    const error = await rejection(resolveModelUri(uri, { cacheDir: await tempDir() }));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toBe(message);
  });

  it('a run path with no model names the models the run logged; a bad stage is MLflow’s invalid parameter', async () => {
    use();
    const runId = manifest.runs.mlflow3;
    const missing = await rejection(resolveModelUri(`runs:/${runId}/nope`, { cacheDir: await tempDir() }));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.suggestions).toEqual([`Run ${runId} logged the model 'model': use runs:/${runId}/model.`]);
    const stage = await rejection(resolveModelUri('models:/iris/Shipped', { cacheDir: await tempDir() }));
    expect(stage.code).toBe('INVALID_PARAMETER_VALUE');
    expect(stage.message).toBe(
      'Invalid Model Version stage: Shipped. Value must be one of None, Staging, Production, Archived.',
    );
  });

  it('mlflow-artifacts: locations in a database need the server that wrote it', async () => {
    const copy = path.join(await tempDir(), 'proxied-like.db');
    await copyFile(database, copy);
    const writable = new Database(copy);
    writable.prepare("UPDATE runs SET artifact_uri = 'mlflow-artifacts:/1/' || run_uuid || '/artifacts'").run();
    writable.close();
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${copy}`;
    const error = await rejection(
      resolveModelUri(`runs:/${manifest.runs['mlflow2-layout']}/legacy`, { cacheDir: await tempDir() }),
    );
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain('is an mlflow-artifacts: URI, which only an MLflow tracking server can resolve');
    expect(error.message).toContain(`sqlite:///${copy}`);
  });
});

describe('an MLflow database at an older schema revision (2d6e25af4d3e: aliases, no storage_location, no logged models)', () => {
  let database: string;
  const run = (
    JSON.parse(readFileSync(path.join(fixturesDir, 'old-schema', 'manifest.json'), 'utf8')) as { run: string }
  ).run;

  beforeAll(async () => {
    database = await relocatedCopy('old-schema', await suiteTempDir('berth-sqlite-old-'));
  });

  it('runs:/, versions, stages and aliases resolve from the MLflow 2 layout', async () => {
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${database}`;
    const cacheDir = await tempDir();
    const pyfunc = JSON.parse(await readFile(path.join(fixturesDir, 'plain', 'pyfunc-predictions.json'), 'utf8'));
    const legacy = pyfunc[`runs:/${readManifest('plain').runs['mlflow2-layout']}/legacy`] as Prediction;
    for (const uri of [
      `runs:/${run}/model`,
      'models:/iris-old/1',
      'models:/iris-old/Production',
      'models:/iris-old@champion',
    ]) {
      expectClose(await predict(await resolveModelUri(uri, { cacheDir }), readManifest('plain').example), legacy);
    }
  });

  it('a logged model id says the database predates logged models', async () => {
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${database}`;
    const error = await rejection(resolveModelUri('models:/m-0123456789abcdef', { cacheDir: await tempDir() }));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toContain(
      '(schema revision 2d6e25af4d3e) is from before MLflow 3.0, which added logged models',
    );
  });
});

describe('databases Berth does not read', () => {
  it('an unknown schema revision is refused by name', async () => {
    const folder = await tempDir();
    const copy = path.join(folder, 'newer.db');
    await copyFile(path.join(fixturesDir, 'plain', 'mlflow.db'), copy);
    const writable = new Database(copy);
    writable.prepare("UPDATE alembic_version SET version_num = 'ffff00001111'").run();
    writable.close();
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${copy}`;
    const error = await rejection(resolveModelUri('models:/iris/1', { cacheDir: await tempDir() }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain(
      `The MLflow database ${copy} has schema revision ffff00001111, which Berth does not know`,
    );
    expect(error.message).toContain('451aebb31d03 to bf29a5ff90ea (MLflow 3.6)');
  });

  it('an SQLite file that is not MLflow’s, a file that is not SQLite, and a missing file', async () => {
    const folder = await tempDir();
    const other = path.join(folder, 'other.db');
    new Database(other).exec('CREATE TABLE t (x)').close();
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${other}`;
    expect((await rejection(resolveModelUri('models:/iris/1', { cacheDir: folder }))).message).toBe(
      `${other} is not an MLflow tracking database: it has no alembic_version table.`,
    );
    const text = path.join(folder, 'notes.db');
    await writeFile(text, 'not a database at all, just text '.repeat(10));
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${text}`;
    expect((await rejection(resolveModelUri('models:/iris/1', { cacheDir: folder }))).message).toContain(
      'is not an MLflow tracking database: file is not a database',
    );
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${path.join(folder, 'missing.db')}`;
    const missing = await rejection(resolveModelUri('models:/iris/1', { cacheDir: folder }));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toContain('Cannot open the MLflow database');
  });
});

describe("MLflow 3.6's default store when MLFLOW_TRACKING_URI is unset", () => {
  it('./mlflow.db; ./mlruns instead only when it already holds experiments; neither is a clear error', async () => {
    const cwd = await tempDir();
    const env = {};
    const none = await rejection(openTrackingStore(env, cwd));
    expect(none.message).toBe(
      `MLFLOW_TRACKING_URI is not set, and neither of MLflow's default tracking stores is in ${cwd}: no mlflow.db, and no mlruns folder with experiments.`,
    );
    await copyFile(path.join(fixturesDir, 'plain', 'mlflow.db'), path.join(cwd, 'mlflow.db'));
    // MLflow 3.6 with no server keeps artifacts in ./mlruns/<experiment>/… but no meta.yaml there.
    await mkdir(path.join(cwd, 'mlruns', '1', 'models'), { recursive: true });
    const sqlite = await openTrackingStore(env, cwd);
    expect(sqlite.uri).toBe(`sqlite:///${path.join(cwd, 'mlflow.db')}`);
    await sqlite.close();
    await writeFile(path.join(cwd, 'mlruns', '1', 'meta.yaml'), 'experiment_id: "1"\nname: old\n');
    const files = await openTrackingStore(env, cwd);
    expect(files.uri).toBe(`file://${path.join(cwd, 'mlruns')}`);
    await files.close();
  });
});
