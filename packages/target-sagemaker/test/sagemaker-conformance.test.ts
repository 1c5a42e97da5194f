/**
 * @berth/testkit's conformance suite against the sagemaker target on loopback AWS: the loopback
 * SageMaker server (containers are real scoring servers) and moto_server, reached through the SDK's
 * standard AWS_ENDPOINT_URL_<SERVICE> variables set for this test process.
 *
 *   npx -y pnpm@12.4.2 vitest run --project target-sagemaker test/sagemaker-conformance
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeTarget } from '@berth/testkit';
import { afterAll, describe } from 'vitest';
import * as target from '../dist/index.js';
import {
  type LoopbackSageMaker,
  startLoopbackSageMaker,
} from './support/loopback-sagemaker/loopback-sagemaker-server.js';
import { type MotoServer, skipWithoutMoto, startMotoServer } from './support/moto-server.js';
import { BERTH_IMAGE, irisModel } from './support/test-clients.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const ROLE_NAME = 'berth-conformance';
const TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
let moto: MotoServer | undefined;
let sagemaker: LoopbackSageMaker | undefined;
const scratch = await mkdtemp(path.join(tmpdir(), 'berth-sm-conformance-'));

afterAll(async () => {
  await sagemaker?.close();
  await moto?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** An MLmodel that says onnx over bytes that are not ONNX: uploaded fine, its container never answers /ping. */
async function brokenModel(directory: string): Promise<string> {
  const broken = path.join(directory, 'broken');
  await mkdir(broken, { recursive: true });
  await cp(path.join(irisModel, 'MLmodel'), path.join(broken, 'MLmodel'));
  await writeFile(path.join(broken, 'model.onnx'), 'not an onnx graph');
  return broken;
}

const broken = await brokenModel(scratch);
const skip = skipWithoutMoto('sagemaker conformance');

describe.skipIf(skip)('sagemaker target on loopback AWS', () => {
  describeTarget(
    async () => {
      moto = await startMotoServer();
      sagemaker = await startLoopbackSageMaker({
        motoUrl: moto.url,
        createLatencyMs: 100,
        updateLatencyMs: 100,
        deleteLatencyMs: 50,
      });
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-west-2',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.url,
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemaker.url,
        AWS_ENDPOINT_URL_S3: moto.url,
        AWS_ENDPOINT_URL_STS: moto.url,
        AWS_ENDPOINT_URL_IAM: moto.url,
        AWS_ENDPOINT_URL_ECR: moto.url,
        AWS_ENDPOINT_URL_CLOUDWATCH: moto.url,
        BERTH_SAGEMAKER_POLL_SECONDS: '0.1',
        BERTH_SAGEMAKER_IMAGE_URL: BERTH_IMAGE,
      });
      // The URI's role is assumed (STS in moto), and deployments run as it: the execution role is
      // found as MLflow finds it, for create and update alike.
      const { CreateRoleCommand, IAMClient } = await import('@aws-sdk/client-iam');
      const iam = new IAMClient({ region: 'us-west-2', endpoint: moto.url });
      await iam.send(new CreateRoleCommand({ RoleName: ROLE_NAME, AssumeRolePolicyDocument: TRUST_POLICY }));
      iam.destroy();
      return new target.SageMakerDeploymentClient(`sagemaker:/us-west-2/arn:aws:iam::123456789012:role/${ROLE_NAME}`);
    },
    {
      module: target,
      packageDir,
      capabilities: { predictStream: true, explain: false, endpoints: true },
      models: { default: irisModel, update: irisModel, broken },
      inputs: {
        valid: {
          dataframe_split: {
            columns: COLUMNS,
            data: [
              [5.1, 3.5, 1.4, 0.2],
              [6.9, 3.2, 5.7, 2.3],
            ],
          },
        },
        rows: 2,
        invalid: { dataframe_split: { columns: COLUMNS, data: [['a', 'b', 'c', 'd']] } },
      },
      endpointConfig: (deployments) => ({ traffic: { [deployments[0] as string]: 100 } }),
      states: [
        'Creating',
        'InService',
        'Updating',
        'SystemUpdating',
        'RollingBack',
        'Deleting',
        'Failed',
        'OutOfService',
        'UpdateRollbackFailed',
      ],
      prefix: 'conformance',
      timeoutMs: 90_000,
    },
  );
});
