/**
 * End to end through the `berth` binary, as a user runs it, against loopback AWS: the loopback
 * SageMaker server (control plane + runtime running the uploaded model.tar.gz in a real scoring
 * server) and moto_server (S3, STS, IAM, CloudWatch), reached through the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables. The iris example goes through the whole round trip:
 * create → list → get → predict → predict-stream → update (replace; a guarded canary that rolls
 * back on an alarm; one that completes) → endpoint weights → delete → delete again.
 */
import { randomBytes } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthProject, berthProject } from './support/berth-cli.js';
import {
  type LoopbackSageMaker,
  startLoopbackSageMaker,
} from './support/loopback-sagemaker/loopback-sagemaker-server.js';
import { type MotoServer, skipWithoutMoto, startMotoServer } from './support/moto-server.js';
import { BERTH_IMAGE, irisModel, type TestClients, testClients, until } from './support/test-clients.js';

const ROLE = 'arn:aws:iam::123456789012:role/berth-e2e';
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

interface Expected {
  input: number[][];
  probabilities: number[][];
  label: number[];
}

describe.skipIf(skipWithoutMoto('berth CLI against loopback SageMaker'))(
  'berth CLI → sagemaker target → loopback AWS',
  () => {
    let moto: MotoServer;
    let sagemaker: LoopbackSageMaker;
    let clients: TestClients;
    let project: BerthProject;
    let expected: Expected;
    let inputFile: string;
    let bigInputFile: string;
    const deploy = ['-t', 'sagemaker', '-C', `execution_role_arn=${ROLE}`];

    beforeAll(async () => {
      moto = await startMotoServer();
      sagemaker = await startLoopbackSageMaker({
        motoUrl: moto.url,
        createLatencyMs: 200,
        updateLatencyMs: 200,
        deleteLatencyMs: 100,
        secondsMs: 100,
        alarmPollMs: 25,
      });
      clients = testClients(moto.url, sagemaker.url);
      project = await berthProject({ sagemaker: sagemaker.url, moto: moto.url });
      project.env.BERTH_SAGEMAKER_IMAGE_URL = BERTH_IMAGE;
      expected = JSON.parse(await readFile(path.join(irisModel, 'expected.json'), 'utf8')) as Expected;
      inputFile = path.join(project.directory, 'input.json');
      await writeFile(inputFile, JSON.stringify({ dataframe_split: { columns: COLUMNS, data: expected.input } }));
      bigInputFile = path.join(project.directory, 'big-input.json');
      const rows = Array.from({ length: 250 }, (_, index) => expected.input[index % expected.input.length]);
      await writeFile(bigInputFile, JSON.stringify({ dataframe_split: { columns: COLUMNS, data: rows } }));
    }, 60_000);

    afterAll(async () => {
      clients?.destroy();
      await sagemaker?.close();
      await moto?.stop();
      await project?.remove();
    });

    const berth = (args: string[], env?: Record<string, string>) => project.run(args, env ? { env } : {});

    function checkPredictions(predictions: Array<{ label: number; probabilities: number[] }>, rows: number[][]) {
      expect(predictions).toHaveLength(rows.length);
      predictions.forEach((prediction, index) => {
        const source = expected.input.findIndex((row) => row.join() === rows[index]?.join());
        expect(prediction.label).toBe(expected.label[source]);
        prediction.probabilities.forEach((probability, column) => {
          expect(probability).toBeCloseTo(expected.probabilities[source]?.[column] as number, 5);
        });
      });
    }

    it("refuses an unknown config key (MLflow's documented bucket_name) before anything is created", async () => {
      const result = await berth(['create', '--name', 'iris', '-m', irisModel, ...deploy, '-C', 'bucket_name=models']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(
        "Unknown config key for target 'sagemaker': 'bucket_name' (did you mean 'bucket'?)",
      );
      expect(sagemaker.calls).toEqual([]);
    });

    it('create: uploads model.tar.gz, creates model, config and endpoint, waits for InService', async () => {
      // (The project's environment does not set AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED.)
      const result = await berth(['create', '--name', 'iris', '-m', irisModel, ...deploy, '--json']);
      expect(result.code, result.stderr).toBe(0);
      // The SDK's nine-line notice about its own future Node 22 releases is not for Berth's users.
      expect(result.stderr).not.toContain('NodeVersionSupportWarning');
      const deployment = result.json();
      expect(deployment).toMatchObject({ name: 'iris', flavor: 'onnx', state: 'InService' });
      expect(String(deployment.url)).toContain('/endpoints/iris/invocations');
      const operations = sagemaker.calls.map((call) => call.operation);
      expect(operations).toEqual(expect.arrayContaining(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']));
      const model = sagemaker.calls.find((call) => call.operation === 'CreateModel')?.input as {
        ModelName: string;
        PrimaryContainer: { Image: string; ModelDataUrl: string; Environment: Record<string, string> };
        ExecutionRoleArn: string;
      };
      expect(model.ExecutionRoleArn).toBe(ROLE);
      expect(model.PrimaryContainer.Image).toBe(BERTH_IMAGE);
      expect(model.PrimaryContainer.Environment).toMatchObject({ MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'onnx' });
      expect(model.ModelName.startsWith('iris-model-')).toBe(true);
      expect(model.ModelName.length).toBeLessThanOrEqual(63);
      // The default bucket, created because it was missing, holds the model under the model's name.
      const objects = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: 'mlflow-sagemaker-us-west-2-123456789012' }),
      );
      expect(objects.Contents?.map((object) => object.Key)).toEqual([`${model.ModelName}/model.tar.gz`]);

      const again = await berth(['create', '--name', 'iris', '-m', irisModel, ...deploy]);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain('already exists');
    }, 120_000);

    it("create keeps V8's young generation at its initial size (the upload's memory bound); get does not", async () => {
      const sizeAfter = async (args: string[]) => {
        const file = path.join(project.directory, `young-generation-${args[0]}.txt`);
        const result = await berth(args, {
          NODE_OPTIONS: `--require=${fileURLToPath(new URL('./support/young-generation-report.cjs', import.meta.url))}`,
          BERTH_TEST_YOUNG_GENERATION_FILE: file,
        });
        return { result, bytes: Number(await readFile(file, 'utf8')) };
      };
      // A refused create still loads everything a create loads before it talks to SageMaker.
      const create = await sizeAfter(['create', '--name', 'iris', '-m', irisModel, ...deploy]);
      expect(create.result.stderr).toContain('already exists');
      const get = await sizeAfter(['get', '-t', 'sagemaker', '--name', 'iris']);
      expect(get.result.code, get.result.stderr).toBe(0);
      expect(create.bytes).toBeGreaterThan(0);
      expect(create.bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
      // The measure can see growth: a command that loads the SageMaker client without the cap grows it.
      expect(get.bytes).toBeGreaterThan(create.bytes);
    }, 60_000);

    it('Ctrl-C during the upload aborts the multipart upload: nothing is left in S3 or SageMaker, exit 130', async () => {
      const big = path.join(project.directory, 'big-model');
      await cp(irisModel, big, { recursive: true });
      // Random bytes gzip cannot shrink: five 8 MiB parts, over a second of packing.
      await writeFile(path.join(big, 'weights.bin'), randomBytes(40 * 1024 * 1024));
      const bucket = 'mlflow-sagemaker-us-west-2-123456789012';
      const callsBefore = sagemaker.calls.length;
      const running = project.start(['create', '--name', 'interrupted', '-m', big, ...deploy]);
      // Pressed once a multipart upload is open in S3, so there is one to abort.
      await until(async () => {
        const pending = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        return pending.Uploads?.length ? true : undefined;
      }, 30_000);
      running.child.kill('SIGINT');
      const result = await running.result;
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toContain('Stopping (Ctrl-C; press it again to quit at once)');
      expect(result.stderr).toContain(`Stopped (Ctrl-C): The upload of s3://${bucket}/interrupted-model-`);
      expect(result.stderr).toContain('was stopped; nothing was created in SageMaker.');
      const pending = await clients.s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      expect(pending.Uploads ?? []).toEqual([]);
      const objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'interrupted' }));
      expect(objects.Contents ?? []).toEqual([]);
      const created = sagemaker.calls.slice(callsBefore).map((call) => call.operation);
      expect(created.filter((operation) => operation.startsWith('Create'))).toEqual([]);
    }, 60_000);

    it('list and get show the deployment with name, state and invoke URL', async () => {
      const list = await berth(['list', '-t', 'sagemaker', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const deployments = list.json<Array<Record<string, unknown>>>();
      expect(deployments).toEqual([expect.objectContaining({ name: 'iris', state: 'InService' })]);
      expect(String(deployments[0]?.url)).toContain('/endpoints/iris/invocations');

      const get = await berth(['get', '-t', 'sagemaker', '--name', 'iris', '--json']);
      expect(get.code, get.stderr).toBe(0);
      const deployment = get.json();
      expect(deployment).toMatchObject({ name: 'iris', state: 'InService' });
      expect(JSON.stringify(deployment)).not.toContain('ResponseMetadata');

      const missing = await berth(['get', '-t', 'sagemaker', '--name', 'nope']);
      expect(missing.code).toBe(4);
    }, 60_000);

    it('predict runs the model in the container; predict-stream yields JSON lines as chunks', async () => {
      const predict = await berth(['predict', '-t', 'sagemaker', '--name', 'iris', '-I', inputFile]);
      expect(predict.code, predict.stderr).toBe(0);
      checkPredictions(JSON.parse(predict.stdout).predictions, expected.input);

      const stream = await berth(['predict-stream', '-t', 'sagemaker', '--name', 'iris', '-I', bigInputFile]);
      expect(stream.code, stream.stderr).toBe(0);
      const lines = stream.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { predictions: never[] });
      expect(lines.length).toBeGreaterThan(1);
      const rows = JSON.parse(await readFile(bigInputFile, 'utf8')).dataframe_split.data as number[][];
      checkPredictions(
        lines.flatMap((line) => line.predictions),
        rows,
      );
    }, 60_000);

    /** The loopback server's view of an endpoint (what SageMaker would say). */
    function endpointState(name: string) {
      const record = sagemaker.control.endpoints.get(name);
      if (!record) return undefined;
      return {
        status: record.status,
        configName: record.configName,
        failureReason: record.failureReason,
        variants: record.live?.variants.map((variant) => ({
          name: variant.name,
          model: variant.modelName,
          weight: variant.currentWeight,
        })),
        pending: record.pending?.status,
      };
    }

    it('update (replace): a new model and config; the old model, config and S3 object are cleaned up', async () => {
      const before = endpointState('iris');
      const oldModel = before?.variants?.[0]?.model as string;
      const result = await berth(['update', '--name', 'iris', '-m', irisModel, ...deploy, '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json()).toMatchObject({ name: 'iris', state: 'InService', flavor: 'onnx' });
      const after = endpointState('iris');
      expect(after?.configName).not.toBe(before?.configName);
      expect(after?.variants).toHaveLength(1);
      expect(after?.variants?.[0]?.model).not.toBe(oldModel);
      expect(sagemaker.control.models.has(oldModel)).toBe(false);
      expect(sagemaker.control.configs.has(before?.configName as string)).toBe(false);
      const objects = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: 'mlflow-sagemaker-us-west-2-123456789012' }),
      );
      expect(objects.Contents?.map((object) => object.Key)).toEqual([`${after?.variants?.[0]?.model}/model.tar.gz`]);
      const predict = await berth(['predict', '-t', 'sagemaker', '--name', 'iris', '-I', inputFile]);
      checkPredictions(JSON.parse(predict.stdout).predictions, expected.input);
    }, 120_000);

    it('update with a guarded canary: an alarm in ALARM rolls it back, and the result says so and why', async () => {
      await clients.cloudWatch.send(
        new PutMetricAlarmCommand({
          AlarmName: 'iris-5xx',
          MetricName: 'Invocation5XXErrors',
          Namespace: 'AWS/SageMaker',
          Dimensions: [{ Name: 'EndpointName', Value: 'iris' }],
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      );
      const before = endpointState('iris');
      const canary = [
        '-C',
        'traffic_routing=CANARY',
        '-C',
        'traffic_step=50%',
        '-C',
        'wait_interval_seconds=600',
        '-C',
        'rollback_alarms=iris-5xx',
      ];
      const running = project.start(['update', '--name', 'iris', '-m', irisModel, ...deploy, ...canary]);
      // The canary takes half the traffic and bakes (600 loopback seconds = 60 s here) until the alarm fires.
      await until(
        async () => (endpointState('iris')?.pending === 'Baking' ? true : undefined),
        60_000,
        'the canary to bake',
      );
      await clients.cloudWatch.send(
        new SetAlarmStateCommand({ AlarmName: 'iris-5xx', StateValue: 'ALARM', StateReason: 'e2e' }),
      );
      const result = await running.result;
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("The CANARY rollout of 'iris' was rolled back");
      expect(result.stderr).toContain("alarm 'iris-5xx' is in ALARM");
      const after = endpointState('iris');
      expect(after).toMatchObject({ status: 'InService', configName: before?.configName });
      expect(after?.variants).toEqual(before?.variants);
      // The deployment still serves the old model.
      const predict = await berth(['predict', '-t', 'sagemaker', '--name', 'iris', '-I', inputFile]);
      expect(predict.code, predict.stderr).toBe(0);
      // The rolled-back update's model and config do not stay behind.
      expect([...sagemaker.control.models.keys()]).toEqual([before?.variants?.[0]?.model]);
    }, 120_000);

    it('update with a guarded canary that stays healthy completes, and the result says it completed', async () => {
      await clients.cloudWatch.send(
        new SetAlarmStateCommand({ AlarmName: 'iris-5xx', StateValue: 'OK', StateReason: 'e2e' }),
      );
      const before = endpointState('iris');
      const result = await berth([
        'update',
        '--name',
        'iris',
        '-m',
        irisModel,
        ...deploy,
        '-C',
        'traffic_routing=CANARY',
        '-C',
        'traffic_step=50%',
        '-C',
        'wait_interval_seconds=5',
        '-C',
        'rollback_alarms=iris-5xx',
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      const deployment = result.json();
      expect(deployment).toMatchObject({ name: 'iris', state: 'InService' });
      expect(deployment.rollout).toMatchObject({ status: 'completed', strategy: 'CANARY' });
      const after = endpointState('iris');
      expect(after?.configName).not.toBe(before?.configName);
      const lastDeployment = sagemaker.control.endpoints.get('iris')?.lastDeploymentConfig as {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: string; CanarySize: unknown } };
        AutoRollbackConfiguration: { Alarms: unknown[] };
      };
      expect(lastDeployment.BlueGreenUpdatePolicy.TrafficRoutingConfiguration).toMatchObject({
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: 50 },
        WaitIntervalInSeconds: 5,
      });
      expect(lastDeployment.AutoRollbackConfiguration.Alarms).toEqual([{ AlarmName: 'iris-5xx' }]);
    }, 120_000);

    it('create-endpoint / update-endpoint: variants per deployment, weights moved without a new fleet', async () => {
      const second = await berth(['create', '--name', 'iris-b', '-m', irisModel, ...deploy]);
      expect(second.code, second.stderr).toBe(0);
      const created = await berth([
        'create-endpoint',
        '-t',
        'sagemaker',
        '--endpoint',
        'iris-ab',
        '-C',
        'traffic={"iris":90,"iris-b":10}',
        '--json',
      ]);
      expect(created.code, created.stderr).toBe(0);
      expect(created.json()).toMatchObject({ name: 'iris-ab' });
      expect(endpointState('iris-ab')?.variants?.map((variant) => [variant.name, variant.weight])).toEqual([
        ['iris', 90],
        ['iris-b', 10],
      ]);
      const predict = await berth(['predict', '-t', 'sagemaker', '--endpoint', 'iris-ab', '-I', inputFile]);
      expect(predict.code, predict.stderr).toBe(0);
      checkPredictions(JSON.parse(predict.stdout).predictions, expected.input);

      const configBefore = endpointState('iris-ab')?.configName;
      const updated = await berth([
        'update-endpoint',
        '-t',
        'sagemaker',
        '--endpoint',
        'iris-ab',
        '-C',
        'traffic={"iris":50,"iris-b":50}',
        '--json',
      ]);
      expect(updated.code, updated.stderr).toBe(0);
      expect(endpointState('iris-ab')?.variants?.map((variant) => variant.weight)).toEqual([50, 50]);
      expect(endpointState('iris-ab')?.configName).toBe(configBefore);
      expect(sagemaker.calls.some((call) => call.operation === 'UpdateEndpointWeightsAndCapacities')).toBe(true);

      const shown = await berth(['get-endpoint', '-t', 'sagemaker', '--endpoint', 'iris-ab', '--json']);
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.stringify(shown.json())).toContain('iris-b');
      const listed = await berth(['list-endpoints', '-t', 'sagemaker', '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json<Array<{ name: string }>>().map((endpoint) => endpoint.name)).toContain('iris-ab');

      const removed = await berth(['delete-endpoint', '-t', 'sagemaker', '--endpoint', 'iris-ab']);
      expect(removed.code, removed.stderr).toBe(0);
      expect(sagemaker.control.endpoints.has('iris-ab')).toBe(false);
    }, 180_000);

    it('delete removes endpoint, config, models and S3 objects; deleting again succeeds', async () => {
      for (const name of ['iris', 'iris-b']) {
        const deleted = await berth(['delete', '-t', 'sagemaker', '--name', name]);
        expect(deleted.code, deleted.stderr).toBe(0);
      }
      expect((await berth(['get', '-t', 'sagemaker', '--name', 'iris'])).code).toBe(4);
      const again = await berth(['delete', '-t', 'sagemaker', '--name', 'iris']);
      expect(again.code, again.stderr).toBe(0);
      expect(sagemaker.control.endpoints.size).toBe(0);
      expect(sagemaker.control.configs.size).toBe(0);
      expect(sagemaker.control.models.size).toBe(0);
      const objects = await clients.s3.send(
        new ListObjectsV2Command({ Bucket: 'mlflow-sagemaker-us-west-2-123456789012' }),
      );
      expect(objects.Contents ?? []).toEqual([]);
      expect(sagemaker.control.backgroundErrors).toEqual([]);
    }, 120_000);
  },
);
