/**
 * Model URIs against REST answers recorded from a real MLflow 3.6 tracking server, in both of its
 * artifact modes (proxied through the server; a plain artifact root read directly), replayed on
 * 127.0.0.1. Predictions are compared with what `mlflow.pyfunc.load_model(uri).predict(...)` gave
 * for the same URI when the fixtures were made.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadMLmodel, loadModel, predictionsToJSON, resolveModelUri } from '../src/index.js';
import { type ArtifactMode, fixturesDir, type ReplayServer, startReplayServer } from './mlflow-replay-server.js';
import { tempDir } from './temp-dir.js';

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

type Predictions = Record<string, { label: number[]; probabilities: number[][] }>;

/** Berth's answer for the fixture example, as `{label, probabilities}`. */
async function predict(directory: string, example: number[][]) {
  const model = await loadModel(directory);
  try {
    const output = await model.predict({
      kind: 'tensors',
      tensors: { '': { dtype: 'float32', shape: [example.length, 4], data: Float32Array.from(example.flat()) } },
    });
    const answer = JSON.parse(predictionsToJSON(output)) as {
      predictions: { label: number[]; probabilities: number[][] };
    };
    return answer.predictions;
  } finally {
    await model.close();
  }
}

async function expectSamePredictions(directory: string, expected: Predictions[string], example: number[][]) {
  const ours = await predict(directory, example);
  expect(ours.label).toEqual(expected.label);
  ours.probabilities.flat().forEach((value, index) => {
    expect(value).toBeCloseTo(expected.probabilities.flat()[index] as number, 6);
  });
}

describe.each<ArtifactMode>(['proxied', 'plain'])('MLflow 3.6 tracking server, %s artifacts', (mode) => {
  let server: ReplayServer;
  let pyfunc: Predictions;

  beforeAll(async () => {
    server = await startReplayServer(mode);
    pyfunc = JSON.parse(await readFile(path.join(fixturesDir, mode, 'pyfunc-predictions.json'), 'utf8'));
  });
  afterAll(async () => {
    await server.close();
  });

  const use = () => {
    process.env.MLFLOW_TRACKING_URI = server.url;
    // A recorded 5xx must not be retried for minutes.
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '0';
  };
  const uris = () => {
    const { runs, models } = server.manifest;
    return {
      runMlflow3: `runs:/${runs.mlflow3}/model`,
      runRetrained: `runs:/${runs['mlflow3-retrained']}/model`,
      runLegacy: `runs:/${runs['mlflow2-layout']}/legacy`,
      loggedModel: `models:/${models.mlflow3}`,
    };
  };

  it('runs:/<run>/model of a model logged the MLflow 3 way is its logged model (searched by name and run)', async () => {
    use();
    const { runMlflow3, runRetrained } = uris();
    const cacheDir = await tempDir();
    const before = server.requests.length;
    const directory = await resolveModelUri(runMlflow3, { cacheDir });
    const asked = server.requests.slice(before);
    expect(asked.some((line) => line.startsWith('POST /api/2.0/mlflow/logged-models/search'))).toBe(true);
    expect((await loadMLmodel(directory)).raw.model_id).toBe(server.manifest.models.mlflow3);
    await expectSamePredictions(directory, pyfunc[runMlflow3] as Predictions[string], server.manifest.example);
    // Two runs logged a model named "model": each runs:/ URI gets its own run's.
    const retrained = await resolveModelUri(runRetrained, { cacheDir });
    expect((await loadMLmodel(retrained)).raw.model_id).toBe(server.manifest.models['mlflow3-retrained']);
    await expectSamePredictions(retrained, pyfunc[runRetrained] as Predictions[string], server.manifest.example);
    expect(server.misses).toEqual([]);
  });

  it("runs:/ of a model in the run's own artifacts (MLflow 2 layout) needs no logged-model search", async () => {
    use();
    const { runLegacy } = uris();
    const before = server.requests.length;
    const directory = await resolveModelUri(runLegacy, { cacheDir: await tempDir() });
    expect(server.requests.slice(before).filter((line) => line.includes('logged-models'))).toEqual([]);
    await expectSamePredictions(directory, pyfunc[runLegacy] as Predictions[string], server.manifest.example);
    expect(server.misses).toEqual([]);
  });

  it.each([
    ['models:/iris/1', '1', 'mlflow3'],
    ['models:/iris/2', '2', 'mlflow3-retrained'],
    ['models:/iris/latest', '2', 'mlflow3-retrained'],
    ['models:/iris/Staging', '2', 'mlflow3-retrained'],
    ['models:/iris/production', '1', 'mlflow3'],
    ['models:/iris@champion', '1', 'mlflow3'],
    ['models:/iris@challenger', '2', 'mlflow3-retrained'],
  ] as const)('%s is version %s (logged model of run %s)', async (uri, version, run) => {
    use();
    const directory = await resolveModelUri(uri, { cacheDir: await tempDir() });
    expect(parseYaml(await readFile(path.join(directory, 'registered_model_meta'), 'utf8'))).toEqual({
      model_name: 'iris',
      model_version: version,
    });
    expect((await loadMLmodel(directory)).raw.model_id).toBe(server.manifest.models[run]);
    await expectSamePredictions(directory, pyfunc[uri] as Predictions[string], server.manifest.example);
    expect(server.misses).toEqual([]);
  });

  it('models:/iris-legacy/1 (registered from a run path) and models:/m-<id> (a logged model)', async () => {
    use();
    const { loggedModel } = uris();
    const cacheDir = await tempDir();
    const legacy = await resolveModelUri('models:/iris-legacy/1', { cacheDir });
    await expectSamePredictions(
      legacy,
      pyfunc['models:/iris-legacy/1'] as Predictions[string],
      server.manifest.example,
    );
    const logged = await resolveModelUri(loggedModel, { cacheDir });
    expect((await loadMLmodel(logged)).raw.model_id).toBe(server.manifest.models.mlflow3);
    await expectSamePredictions(logged, pyfunc[loggedModel] as Predictions[string], server.manifest.example);
    expect(server.misses).toEqual([]);
  });

  if (mode === 'proxied') {
    it('mlflow-artifacts:/ URIs are listed and downloaded through the server', async () => {
      use();
      const uri = `mlflow-artifacts:/1/models/${server.manifest.models.mlflow3}/artifacts`;
      const directory = await resolveModelUri(uri, { cacheDir: await tempDir() });
      await expectSamePredictions(directory, pyfunc[uri] as Predictions[string], server.manifest.example);
      expect(server.misses).toEqual([]);
    });
  } else {
    it('mlflow-artifacts:/ against a server started with --no-serve-artifacts says so', async () => {
      use();
      const uri = `mlflow-artifacts:/1/models/${server.manifest.models.mlflow3}/artifacts`;
      const error = await rejection(resolveModelUri(uri, { cacheDir: await tempDir() }));
      expect(error.message).toContain('does not serve artifacts');
      expect(error.message).toContain('--no-serve-artifacts');
    });
  }

  it('MLFLOW_REGISTRY_URI serves models:/ URIs, as in MLflow, when the tracking store is elsewhere', async () => {
    process.env.MLFLOW_REGISTRY_URI = server.url;
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '0';
    // No tracking store at all: the registry's own server resolves what it recorded.
    process.env.MLFLOW_TRACKING_URI = 'sqlite:///' + path.join(await tempDir(), 'absent.db');
    const directory = await resolveModelUri('models:/iris@champion', { cacheDir: await tempDir() });
    await expectSamePredictions(
      directory,
      pyfunc['models:/iris@champion'] as Predictions[string],
      server.manifest.example,
    );
    const error = await rejection(resolveModelUri(uris().runMlflow3, { cacheDir: await tempDir() }));
    expect(error.message).toContain('Cannot open the MLflow database');
  });

  describe('what is missing is RESOURCE_DOES_NOT_EXIST, named as MLflow names it', () => {
    it.each([
      ['runs:/0123456789abcdef0123456789abcdef/model', 'Run with id=0123456789abcdef0123456789abcdef not found'],
      ['models:/nope/1', 'Registered Model with name=nope not found'],
      ['models:/nope/latest', 'Registered Model with name=nope not found'],
      ['models:/nope/Production', 'Registered Model with name=nope not found'],
      ['models:/nope@champion', 'Registered Model with name=nope not found'],
      ['models:/iris/7', 'Model Version (name=iris, version=7) not found'],
      ['models:/iris@nobody', 'Registered model alias nobody not found.'],
      ['models:/iris/Archived', "No versions of model with name 'iris' and stage 'Archived' found"],
      ['models:/empty-model/latest', "No versions of model with name 'empty-model' found"],
      [
        'models:/m-0123456789abcdef0123456789abcdef',
        "Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found.",
      ],
    ])('%s', async (uri, message) => {
      use();
      const error = await rejection(resolveModelUri(uri, { cacheDir: await tempDir() }));
      expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(error.exitCode).toBe(4);
      expect(error.message).toBe(message);
      expect(server.misses).toEqual([]);
    });

    it('a missing alias lists the aliases the model has', async () => {
      use();
      const error = await rejection(resolveModelUri('models:/iris@nobody', { cacheDir: await tempDir() }));
      expect(error.suggestions).toEqual([
        "Registered model 'iris' has the aliases: challenger (version 2), champion (version 1).",
      ]);
    });

    it("a run path that is neither in the run's artifacts nor a logged model of the run names both, and the run's models", async () => {
      use();
      const runId = server.manifest.runs.mlflow3;
      const error = await rejection(resolveModelUri(`runs:/${runId}/nope`, { cacheDir: await tempDir() }));
      expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(error.message).toContain(`Could not find an "MLmodel" configuration file at "runs:/${runId}/nope"`);
      expect(error.message).toContain(`run ${runId} logged no model named 'nope'`);
      expect(error.suggestions).toEqual([`Run ${runId} logged the model 'model': use runs:/${runId}/model.`]);
      expect(server.misses).toEqual([]);
    });

    it('an unknown stage is the invalid parameter MLflow says it is', async () => {
      use();
      const error = await rejection(resolveModelUri('models:/iris/Shipped', { cacheDir: await tempDir() }));
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toBe(
        'Invalid Model Version stage: Shipped. Value must be one of None, Staging, Production, Archived.',
      );
    });
  });
});
