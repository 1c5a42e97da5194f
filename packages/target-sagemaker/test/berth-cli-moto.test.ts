/**
 * The `berth` binary against plain moto_server alone (every AWS_ENDPOINT_URL_* at moto, its own
 * SageMaker included): create, get, list, predict with moto's queued results, delete, an
 * idempotent delete and an unknown config key. The target URI carries a role to assume, so the
 * execution role is found as MLflow finds it (STS AssumeRole → GetCallerIdentity → IAM GetRole).
 */
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DescribeModelCommand, ListModelsCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BerthProject, berthProject } from './support/berth-cli.js';
import { TEST_CREDENTIALS } from './support/loopback-sagemaker/loopback-sagemaker-server.js';
import { type MotoServer, queueMotoInvokeResults, skipWithoutMoto, startMotoServer } from './support/moto-server.js';
import { BERTH_IMAGE, irisModel, REGION, type TestClients, testClients } from './support/test-clients.js';

const ROLE_NAME = 'berth-deployer';
const ROLE_ARN = `arn:aws:iam::123456789012:role/${ROLE_NAME}`;
const TARGET = `sagemaker:/${REGION}/${ROLE_ARN}`;
const BUCKET = `mlflow-sagemaker-${REGION}-123456789012`;

describe.skipIf(skipWithoutMoto('berth CLI against moto_server'))(
  'berth CLI → sagemaker target → moto_server alone',
  () => {
    let moto: MotoServer;
    let clients: TestClients;
    let project: BerthProject;

    beforeAll(async () => {
      moto = await startMotoServer();
      clients = testClients(moto.url, moto.url);
      project = await berthProject({ moto: moto.url });
      project.env.BERTH_SAGEMAKER_IMAGE_URL = BERTH_IMAGE;
      const iam = new IAMClient({ region: REGION, endpoint: moto.url, credentials: TEST_CREDENTIALS });
      await iam.send(
        new CreateRoleCommand({
          RoleName: ROLE_NAME,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      );
      iam.destroy();
    }, 60_000);

    afterAll(async () => {
      clients?.destroy();
      await moto?.stop();
      await project?.remove();
    });

    it('an unknown config key is refused with the key it meant, before any AWS call', async () => {
      const result = await project.run([
        'create',
        '-t',
        TARGET,
        '--name',
        'iris',
        '-m',
        irisModel,
        '-C',
        'instance_typ=ml.m5.large',
      ]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("'instance_typ' (did you mean 'instance_type'?)");
      expect((await clients.sagemaker.send(new ListModelsCommand({}))).Models).toEqual([]);
    });

    it('create → get → list: the assumed role finds its own execution role; the default bucket is created', async () => {
      const created = await project.run(['create', '-t', TARGET, '--name', 'iris', '-m', irisModel, '--json']);
      expect(created.code, created.stderr).toBe(0);
      const deployment = created.json<{ name: string; state: string; modelName: string; modelDataUrl: string }>();
      expect(deployment).toMatchObject({ name: 'iris', state: 'InService', flavor: 'onnx' });
      const model = await clients.sagemaker.send(new DescribeModelCommand({ ModelName: deployment.modelName }));
      expect(model.ExecutionRoleArn).toBe(ROLE_ARN);
      expect(model.PrimaryContainer?.Image).toBe(BERTH_IMAGE);
      expect(deployment.modelDataUrl).toBe(`s3://${BUCKET}/${deployment.modelName}/model.tar.gz`);
      const objects = await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect(objects.Contents?.map((object) => object.Key)).toEqual([`${deployment.modelName}/model.tar.gz`]);

      const get = await project.run(['get', '-t', TARGET, '--name', 'iris', '--json']);
      expect(get.code, get.stderr).toBe(0);
      expect(get.json()).toMatchObject({ name: 'iris', state: 'InService' });
      const list = await project.run(['list', '-t', TARGET, '--json']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.json<Array<{ name: string; state: string; url: string }>>()).toEqual([
        expect.objectContaining({
          name: 'iris',
          state: 'InService',
          url: expect.stringContaining('/endpoints/iris/invocations'),
        }),
      ]);
    }, 120_000);

    it("predict returns moto's queued result for the endpoint", async () => {
      const answer = { predictions: [{ label: 0 }, { label: 2 }] };
      await queueMotoInvokeResults(moto, [{ Body: JSON.stringify(answer), ContentType: 'application/json' }], REGION);
      const input = `${project.directory}/input.json`;
      await (await import('node:fs/promises')).writeFile(
        input,
        JSON.stringify({ dataframe_split: { columns: ['sepal_length'], data: [[5.1], [6.9]] } }),
      );
      const predict = await project.run(['predict', '-t', TARGET, '--name', 'iris', '-I', input]);
      expect(predict.code, predict.stderr).toBe(0);
      expect(JSON.parse(predict.stdout)).toEqual(answer);
    }, 60_000);

    it('delete removes the endpoint, its config, model and S3 object; a second delete succeeds', async () => {
      const deleted = await project.run(['delete', '-t', TARGET, '--name', 'iris']);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect((await project.run(['get', '-t', TARGET, '--name', 'iris'])).code).toBe(4);
      expect((await clients.sagemaker.send(new ListModelsCommand({}))).Models).toEqual([]);
      expect((await clients.s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).toEqual([]);
      const again = await project.run(['delete', '-t', TARGET, '--name', 'iris']);
      expect(again.code, again.stderr).toBe(0);
      const list = await project.run(['list', '-t', TARGET, '--json']);
      expect(list.json()).toEqual([]);
    }, 60_000);
  },
);
