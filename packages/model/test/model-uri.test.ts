import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import S3rver from 's3rver';
import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadMLmodel, loadModel, parseScoringRequest, predictionsToJSON, resolveModelUri } from '../src/index.js';
import { type FixtureServer, startMlflowFixture, startStaticServer } from './mlflow-fixture-server.js';
import { exampleModel } from './paths.js';
import { makeTarGz } from './tar-writer.js';
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

async function irisLabels(directory: string): Promise<number[]> {
  const model = await loadModel(directory);
  try {
    const { input } = parseScoringRequest((await model.servingInputExample()) as string, 'json', model.signature);
    const answer = JSON.parse(predictionsToJSON(await model.predict(input))) as {
      predictions: Array<{ label: number }> | { label: number[] };
    };
    return Array.isArray(answer.predictions) ? answer.predictions.map((row) => row.label) : answer.predictions.label;
  } finally {
    await model.close();
  }
}

describe('URI grammar and local paths', () => {
  it.each(['runs:/', 'runs:', 'runs://profile', 'runs:relative/model'])(
    '%s is not a proper runs:/ URI',
    async (uri) => {
      process.env.MLFLOW_TRACKING_URI = 'http://127.0.0.1:9';
      const error = await rejection(resolveModelUri(uri, { cacheDir: await tempDir() }));
      expect(error.message).toContain(
        `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
      );
    },
  );

  it.each(['models:/', 'models:/a/b/c', 'models:/ /1', 'models:/name/ ', 'models:/@alias', 'models:/name@'])(
    '%s is not a proper models:/ URI',
    async (uri) => {
      process.env.MLFLOW_TRACKING_URI = 'http://127.0.0.1:9';
      const error = await rejection(resolveModelUri(uri, { cacheDir: await tempDir() }));
      expect(error.message).toContain(`Not a proper models:/ URI: ${uri}.`);
    },
  );

  it('an unknown scheme lists the registered ones', async () => {
    const error = await rejection(resolveModelUri('gopher://host/model'));
    expect(error.message).toContain(
      'Could not find a registered artifact repository for: gopher://host/model. Currently registered schemes are: [',
    );
  });

  it('plain paths, file: URIs and an MLmodel file path resolve in place', async () => {
    const iris = exampleModel('iris');
    expect(await resolveModelUri(iris)).toBe(iris);
    expect(await resolveModelUri(`file://${iris}`)).toBe(iris);
    expect(await resolveModelUri(path.join(iris, 'MLmodel'))).toBe(iris);
    const missing = await rejection(resolveModelUri('m-0123abcd'));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.suggestions).toContain("Maybe you meant 'models:/m-0123abcd'?");
  });

  it('runs:/ without a tracking server says how to configure one', async () => {
    delete process.env.MLFLOW_TRACKING_URI;
    const error = await rejection(resolveModelUri('runs:/abc/model', { cacheDir: await tempDir() }));
    expect(error.message).toContain('MLFLOW_TRACKING_URI is not set');
  });
});

describe("runs:/ and models:/ through a tracking server speaking MLflow 2's shapes", () => {
  let server: FixtureServer;
  let artifactRoot: string;

  beforeAll(async () => {
    artifactRoot = await suiteTempDir('berth-artifacts-');
    await cp(exampleModel('iris'), path.join(artifactRoot, '0/run1/artifacts/model'), { recursive: true });
    await cp(exampleModel('iris-tensor'), path.join(artifactRoot, '0/run2/artifacts/model'), { recursive: true });
    server = await startMlflowFixture({
      artifactRoot,
      token: 'secret-token',
      runs: { run1: 'mlflow-artifacts:/0/run1/artifacts', run2: 'mlflow-artifacts:/0/run2/artifacts' },
      models: {
        iris: {
          versions: [
            {
              version: '1',
              stage: 'Production',
              source: 'runs:/run1/model',
              downloadUri: 'mlflow-artifacts:/0/run1/artifacts/model',
            },
            {
              version: '2',
              stage: 'None',
              source: 'runs:/run2/model',
              downloadUri: 'mlflow-artifacts:/0/run2/artifacts/model',
            },
          ],
          aliases: { champion: '1' },
        },
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(artifactRoot, { recursive: true, force: true });
  });

  const useServer = () => {
    process.env.MLFLOW_TRACKING_URI = server.url;
    process.env.MLFLOW_TRACKING_TOKEN = 'secret-token';
  };

  it('runs:/<run>/model downloads the run artifacts with the bearer token, then serves from the cache', async () => {
    useServer();
    const cacheDir = await tempDir();
    const directory = await resolveModelUri('runs:/run1/model', { cacheDir });
    expect(directory.startsWith(cacheDir)).toBe(true);
    expect((await readdir(directory)).sort()).toEqual(
      expect.arrayContaining(['MLmodel', 'model.onnx', 'serving_input_example.json']),
    );
    expect(await irisLabels(directory)).toEqual([0, 1, 2, 2]);
    expect(server.authorizations.every((header) => header === 'Bearer secret-token')).toBe(true);
    const before = server.requests.length;
    expect(await resolveModelUri('runs:/run1/model', { cacheDir })).toBe(directory);
    expect(server.requests.length).toBe(before);
    // Nothing half-written is left behind.
    expect((await readdir(cacheDir)).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
  });

  it("basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD; a wrong token keeps MLflow's error code", async () => {
    process.env.MLFLOW_TRACKING_URI = server.url;
    process.env.MLFLOW_TRACKING_USERNAME = 'user';
    process.env.MLFLOW_TRACKING_PASSWORD = 'pass';
    const error = await rejection(resolveModelUri('runs:/run1/model', { cacheDir: await tempDir() }));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(server.authorizations.at(-1)).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
  });

  it('an unknown run is RESOURCE_DOES_NOT_EXIST with the server message', async () => {
    useServer();
    const error = await rejection(resolveModelUri('runs:/nope/model', { cacheDir: await tempDir() }));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toBe('Run with id=nope not found');
  });

  it('MLflow 2 has no logged models: a run path without a model, and models:/m-<id>, say what is missing', async () => {
    useServer();
    const cacheDir = await tempDir();
    const path = await rejection(resolveModelUri('runs:/run1/other', { cacheDir }));
    expect(path.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(path.message).toBe(
      'Could not find an "MLmodel" configuration file at "runs:/run1/other": the run\'s artifacts have none at mlflow-artifacts:/0/run1/artifacts/other, and run run1 logged no model named \'other\'.',
    );
    const logged = await rejection(resolveModelUri('models:/m-0123abcd', { cacheDir }));
    expect(logged.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(logged.message).toBe(
      `The MLflow tracking server at ${server.url} has no logged models (models:/m-0123abcd needs MLflow 3 or later).`,
    );
  });

  it('versions, latest, stages (case-insensitive) and aliases resolve to the right version', async () => {
    useServer();
    const cacheDir = await tempDir();
    const meta = async (uri: string) => {
      const directory = await resolveModelUri(uri, { cacheDir });
      return parseYaml(await readFile(path.join(directory, 'registered_model_meta'), 'utf8')) as {
        model_name: string;
        model_version: string;
      };
    };
    expect(await meta('models:/iris/1')).toEqual({ model_name: 'iris', model_version: '1' });
    expect(await meta('models:/iris/latest')).toEqual({ model_name: 'iris', model_version: '2' });
    expect(await meta('models:/iris/production')).toEqual({ model_name: 'iris', model_version: '1' });
    expect(await meta('models:/iris@champion')).toEqual({ model_name: 'iris', model_version: '1' });
    const latest = await loadMLmodel(await resolveModelUri('models:/iris/Latest', { cacheDir }));
    expect(latest.signature?.inputs?.kind).toBe('tensors');
    expect(await irisLabels(await resolveModelUri('models:/iris@champion', { cacheDir }))).toEqual([0, 1, 2, 2]);
  });

  it('no version in a stage, unknown versions and aliases are RESOURCE_DOES_NOT_EXIST', async () => {
    useServer();
    const cacheDir = await tempDir();
    const stage = await rejection(resolveModelUri('models:/iris/Staging', { cacheDir }));
    expect(stage.message).toBe("No versions of model with name 'iris' and stage 'Staging' found");
    expect((await rejection(resolveModelUri('models:/iris/7', { cacheDir }))).message).toBe(
      'Model Version (name=iris, version=7) not found',
    );
    expect((await rejection(resolveModelUri('models:/nope/7', { cacheDir }))).message).toBe(
      'Registered Model with name=nope not found',
    );
    // MLflow answers a missing alias with INVALID_PARAMETER_VALUE (exit 3); Berth says what is missing (exit 4).
    const alias = await rejection(resolveModelUri('models:/iris@nobody', { cacheDir }));
    expect(alias.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(alias.exitCode).toBe(4);
    expect(alias.suggestions).toEqual(["Registered model 'iris' has the aliases: champion (version 1)."]);
  });

  it('mlflow-artifacts:/ URIs go through the tracking server; concurrent downloads of one URI agree', async () => {
    useServer();
    const cacheDir = await tempDir();
    const [a, b] = await Promise.all([
      resolveModelUri('mlflow-artifacts:/0/run1/artifacts/model', { cacheDir }),
      resolveModelUri('mlflow-artifacts:/0/run1/artifacts/model', { cacheDir }),
    ]);
    expect(a).toBe(b);
    expect(await irisLabels(a)).toEqual([0, 1, 2, 2]);
  });
});

describe('http(s) folders and .tar.gz archives', () => {
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  let root: string;

  beforeAll(async () => {
    root = await suiteTempDir('berth-static-');
    await cp(exampleModel('linear-external'), path.join(root, 'linear'), { recursive: true });
    await tar.c({ gzip: true, file: path.join(root, 'iris.tar.gz'), cwd: exampleModel('iris') }, ['.']);
    await tar.c({ gzip: true, file: path.join(root, 'nested.tar.gz'), cwd: path.dirname(exampleModel('iris')) }, [
      'iris',
    ]);
    await writeFile(
      path.join(root, 'dotdot.tar.gz'),
      makeTarGz([
        { name: 'MLmodel', content: 'flavors: {}' },
        { name: '../evil.txt', content: 'x' },
      ]),
    );
    await writeFile(path.join(root, 'absolute.tar.gz'), makeTarGz([{ name: '/tmp/berth-evil.txt', content: 'x' }]));
    await writeFile(
      path.join(root, 'symlink.tar.gz'),
      makeTarGz([
        { name: 'model', type: 'directory' },
        { name: 'model/escape', type: 'symlink', linkname: '../../etc' },
        { name: 'model/escape/passwd', content: 'x' },
      ]),
    );
    await writeFile(
      path.join(root, 'hardlink.tar.gz'),
      makeTarGz([{ name: 'data', type: 'hardlink', linkname: '/etc/passwd' }]),
    );
    server = await startStaticServer(root);
  });
  afterAll(async () => {
    await server.close();
  });

  it('a folder without a listing: MLmodel, then the files it names, external data included', async () => {
    const directory = await resolveModelUri(`${server.url}/linear/`, { cacheDir: await tempDir() });
    expect((await readdir(directory)).sort()).toEqual(
      expect.arrayContaining(['MLmodel', 'model.onnx', 'model.onnx.data', 'input_example.json']),
    );
    expect(server.requests).toContain('/linear/model.onnx.data');
    const model = await loadModel(directory);
    const { input } = parseScoringRequest((await model.servingInputExample()) as string, 'json', model.signature);
    const answer = JSON.parse(predictionsToJSON(await model.predict(input))) as { predictions: { y: number[][] } };
    const expected = JSON.parse(await readFile(path.join(root, 'linear/expected.json'), 'utf8')) as { y: number[][] };
    expect(answer.predictions.y[0]?.[0]).toBeCloseTo(expected.y[0]?.[0] as number, 5);
    await model.close();
  });

  it("a folder with no MLmodel is MLflow's RESOURCE_DOES_NOT_EXIST", async () => {
    const error = await rejection(resolveModelUri(`${server.url}/nothing-here`, { cacheDir: await tempDir() }));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toContain('Could not find an "MLmodel" configuration file at');
  });

  it('.tar.gz archives over HTTP and on disk, with the model at the root or in one folder', async () => {
    const cacheDir = await tempDir();
    expect(await irisLabels(await resolveModelUri(`${server.url}/iris.tar.gz`, { cacheDir }))).toEqual([0, 1, 2, 2]);
    const nested = await resolveModelUri(`${server.url}/nested.tar.gz`, { cacheDir });
    expect(path.basename(nested)).toBe('iris');
    expect(await irisLabels(await resolveModelUri(path.join(root, 'iris.tar.gz'), { cacheDir }))).toEqual([0, 1, 2, 2]);
  });

  it.each([
    ['dotdot.tar.gz', '"../evil.txt"', "contains '..'"],
    ['absolute.tar.gz', '"/tmp/berth-evil.txt"', 'absolute path'],
    ['symlink.tar.gz', '"model/escape"', 'links outside the archive'],
    ['hardlink.tar.gz', '"data"', 'absolute path'],
  ])('%s is refused, naming the entry', async (file, entry, reason) => {
    const cacheDir = await tempDir();
    for (const uri of [`${server.url}/${file}`, path.join(root, file)]) {
      const error = await rejection(resolveModelUri(uri, { cacheDir }));
      expect(error.message).toContain(entry);
      expect(error.message).toContain(reason);
    }
    // Nothing was written, not even inside the cache.
    expect((await readdir(cacheDir)).filter((name) => !name.startsWith('.'))).toEqual([]);
    expect(await readFile('/tmp/berth-evil.txt').catch(() => undefined)).toBeUndefined();
  });
});

describe('s3:// against s3rver', () => {
  let s3: S3rver;
  let s3Dir: string;
  let endpoint: string;

  beforeAll(async () => {
    s3Dir = await suiteTempDir('berth-s3rver-');
    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3Dir,
      configureBuckets: [{ name: 'models', configs: [] }],
    });
    const { port } = await s3.run();
    endpoint = `http://127.0.0.1:${port}`;
    const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    for (const name of await readdir(exampleModel('iris'))) {
      await client.send(
        new PutObjectCommand({
          Bucket: 'models',
          Key: `team/iris/${name}`,
          Body: await readFile(path.join(exampleModel('iris'), name)),
        }),
      );
    }
    const archiveDir = await suiteTempDir();
    await tar.c({ gzip: true, file: path.join(archiveDir, 'model.tar.gz'), cwd: exampleModel('iris') }, ['.']);
    await client.send(
      new PutObjectCommand({
        Bucket: 'models',
        Key: 'archives/model.tar.gz',
        Body: await readFile(path.join(archiveDir, 'model.tar.gz')),
      }),
    );
    client.destroy();
  });
  afterAll(async () => {
    await s3.close();
  });

  const useS3 = () => {
    process.env.AWS_ENDPOINT_URL = endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    process.env.AWS_REGION = 'us-east-1';
  };

  it('downloads a model folder and a model.tar.gz', async () => {
    useS3();
    const cacheDir = await tempDir();
    expect(await irisLabels(await resolveModelUri('s3://models/team/iris', { cacheDir }))).toEqual([0, 1, 2, 2]);
    expect(await irisLabels(await resolveModelUri('s3://models/archives/model.tar.gz', { cacheDir }))).toEqual([
      0, 1, 2, 2,
    ]);
  });

  it('an empty prefix is RESOURCE_DOES_NOT_EXIST', async () => {
    useS3();
    const error = await rejection(resolveModelUri('s3://models/team/nothing', { cacheDir: await tempDir() }));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toContain('No objects found under s3://models/team/nothing');
  });
});

describe('the download cache lives under BERTH_HOME by default', () => {
  it('uses <BERTH_HOME>/cache/models', async () => {
    const home = await tempDir();
    process.env.BERTH_HOME = home;
    const archiveDir = await tempDir();
    await mkdir(archiveDir, { recursive: true });
    await tar.c({ gzip: true, file: path.join(archiveDir, 'iris.tgz'), cwd: exampleModel('iris') }, ['.']);
    const directory = await resolveModelUri(path.join(archiveDir, 'iris.tgz'));
    expect(directory.startsWith(path.join(home, 'cache', 'models'))).toBe(true);
  });
});

describe("runs:/ and models:/ against MLflow's local file store", () => {
  it('reads run and registry meta.yaml files under MLFLOW_TRACKING_URI=file:…', async () => {
    const root = await tempDir('berth-mlruns-');
    const runDir = path.join(root, '0', 'abc123');
    await cp(exampleModel('iris'), path.join(runDir, 'artifacts', 'model'), { recursive: true });
    await writeFile(
      path.join(runDir, 'meta.yaml'),
      `artifact_uri: file://${path.join(runDir, 'artifacts')}\nrun_id: abc123\n`,
    );
    const versionDir = path.join(root, 'models', 'iris', 'version-3');
    await mkdir(versionDir, { recursive: true });
    await writeFile(
      path.join(versionDir, 'meta.yaml'),
      `version: 3\ncurrent_stage: Staging\nsource: file://${path.join(runDir, 'artifacts', 'model')}\n`,
    );
    await mkdir(path.join(root, 'models', 'iris', 'aliases'), { recursive: true });
    await writeFile(path.join(root, 'models', 'iris', 'aliases', 'champion'), '3');
    process.env.MLFLOW_TRACKING_URI = `file://${root}`;
    const cacheDir = await tempDir();
    expect(await irisLabels(await resolveModelUri('runs:/abc123/model', { cacheDir }))).toEqual([0, 1, 2, 2]);
    for (const uri of ['models:/iris/3', 'models:/iris/staging', 'models:/iris/latest', 'models:/iris@champion']) {
      const directory = await resolveModelUri(uri, { cacheDir });
      expect(parseYaml(await readFile(path.join(directory, 'registered_model_meta'), 'utf8'))).toEqual({
        model_name: 'iris',
        model_version: '3',
      });
    }
    expect((await rejection(resolveModelUri('models:/iris/Production', { cacheDir }))).message).toBe(
      "No versions of model with name 'iris' and stage 'Production' found",
    );
    expect((await rejection(resolveModelUri('runs:/missing/model', { cacheDir }))).code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});

describe('credentials in an http(s) URL', () => {
  it('are sent as basic auth, never left in the URL', async () => {
    const http = await import('node:http');
    const seen: Array<string | undefined> = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(404);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const error = await rejection(
        resolveModelUri(`http://alice:s%3Acret@127.0.0.1:${port}/model`, { cacheDir: await tempDir() }),
      );
      expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(error.message).not.toContain('s%3Acret');
      expect(seen[0]).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('download cache debris', () => {
  it('a cache folder without its completion marker is replaced by a fresh download', async () => {
    const cacheDir = await tempDir();
    const archiveDir = await tempDir();
    await tar.c({ gzip: true, file: path.join(archiveDir, 'iris.tar.gz'), cwd: exampleModel('iris') }, ['.']);
    const first = await resolveModelUri(path.join(archiveDir, 'iris.tar.gz'), { cacheDir });
    await rm(path.join(first, '.berth-download.json'));
    await rm(path.join(first, 'model.onnx'));
    const second = await resolveModelUri(path.join(archiveDir, 'iris.tar.gz'), { cacheDir });
    expect(second).toBe(first);
    expect(await irisLabels(second)).toEqual([0, 1, 2, 2]);
  });
});
