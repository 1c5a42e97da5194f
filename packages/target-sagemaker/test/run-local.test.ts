/**
 * `berth run-local -t sagemaker`: the container contract without Docker, through the binary. The
 * model is packed as create packs it, extracted into an /opt/ml/model-shaped folder and served by
 * the image's entry command; Ctrl-C stops it and removes the folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthProject, berthProject } from './support/berth-cli.js';
import { irisModel, until } from './support/test-clients.js';

let project: BerthProject;
const IRIS = {
  dataframe_split: {
    columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.9, 3.2, 5.7, 2.3],
    ],
  },
};

beforeAll(async () => {
  // run-local reaches no AWS service: the endpoints point nowhere.
  project = await berthProject({ moto: 'http://127.0.0.1:9' });
});
afterAll(() => project?.remove());

describe('berth run-local -t sagemaker', () => {
  it('serves the model extracted from its model.tar.gz with the image entry command; Ctrl-C stops and cleans up', async () => {
    const { child, result } = project.start([
      'run-local',
      '-t',
      'sagemaker',
      '--name',
      'iris',
      '-m',
      irisModel,
      '-C',
      'port=0',
    ]);
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    try {
      const url = await until(
        async () => /"url":"(http:\/\/127\.0\.0\.1:\d+)","msg":"ready"/.exec(stderr)?.[1],
        30_000,
        'ready',
      );
      const modelDir = /extracted to (\S+); /.exec(stderr)?.[1] as string;
      expect(modelDir.endsWith(path.join('opt', 'ml', 'model'))).toBe(true);
      expect((await readdir(modelDir)).sort()).toEqual((await readdir(irisModel)).sort());
      expect(stderr).toContain('node /opt/berth/node_modules/@berth/scoring-server/dist/bin.js serve');

      expect((await fetch(`${url}/ping`)).status).toBe(200);
      const answer = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify(IRIS)),
      });
      expect(answer.status).toBe(200);
      const predictions = ((await answer.json()) as { predictions: Array<{ label: number }> }).predictions;
      expect(predictions.map((prediction) => prediction.label)).toEqual([0, 2]);
      // Response streaming, as InvokeEndpointWithResponseStream reaches the container.
      const stream = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/jsonlines',
          'x-amzn-sagemaker-custom-attributes': 'chunk_rows=1',
        },
        body: Buffer.from(JSON.stringify(IRIS)),
      });
      const lines = (await stream.text()).trim().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as { predictions: unknown[] }).predictions.length)).toEqual([1, 1]);

      child.kill('SIGINT');
      const done = await result;
      expect(done.code, done.stderr).toBe(0);
      expect(existsSync(modelDir)).toBe(false);
      await expect(fetch(`${url}/ping`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    }
  }, 60_000);

  it('refuses a python_function-only model (MLflow image, needs Docker) and keys run-local does not read', async () => {
    const pyfunc = path.join(project.directory, 'pyfunc-model');
    await mkdir(pyfunc);
    await writeFile(
      path.join(pyfunc, 'MLmodel'),
      'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\nmlflow_version: 3.6.0\n',
    );
    const refused = await project.run(['run-local', '-t', 'sagemaker', '--name', 'p', '-m', pyfunc]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(
      "flavor 'python_function' runs in MLflow's mlflow-pyfunc image, which needs Docker",
    );
    expect(refused.stderr).toContain('mlflow models serve');

    const wrongKey = await project.run([
      'run-local',
      '-t',
      'sagemaker',
      '--name',
      'i',
      '-m',
      irisModel,
      '-C',
      'instance_count=2',
    ]);
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toContain("'instance_count'");
    expect(wrongKey.stderr).toContain('run-local');
  }, 60_000);
});
