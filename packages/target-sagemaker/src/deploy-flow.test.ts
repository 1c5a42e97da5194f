import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateEndpointCommand,
  type CreateEndpointCommandInput,
  CreateEndpointConfigCommand,
  type CreateEndpointConfigCommandInput,
  CreateModelCommand,
  type CreateModelCommandInput,
  DeleteEndpointCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  type UpdateEndpointCommandInput,
} from '@aws-sdk/client-sagemaker';
import { BerthError, type ProgressEvent } from '@berth/core';
import 'aws-sdk-client-mock-vitest/extend';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ACCOUNT,
  CALLER_ROLE_ARN,
  ECR_BERTH,
  ECR_MLFLOW,
  type FakeAws,
  type FakeOptions,
  fakeAws,
} from './fake-aws.js';
import { SageMakerDeploymentClient } from './sagemaker-deployment-client.js';

const IRIS = fileURLToPath(new URL('../../../examples/models/iris', import.meta.url));
const BUCKET = `mlflow-sagemaker-us-west-2-${ACCOUNT}`;
let scratch: string;
let pyfuncModel: string;
let sklearnModel: string;
let aws: FakeAws;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'berth-sagemaker-flow-'));
  pyfuncModel = path.join(scratch, 'pyfunc');
  await mkdir(path.join(pyfuncModel, 'artifacts'), { recursive: true });
  await writeFile(
    path.join(pyfuncModel, 'MLmodel'),
    'flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    python_version: 3.11.2\n  sklearn:\n    pickled_model: model.pkl\nmlflow_version: 2.17.2\n',
  );
  await writeFile(path.join(pyfuncModel, 'model.pkl'), 'pickle');
  await writeFile(path.join(pyfuncModel, 'artifacts', 'vocab.txt'), 'a\nb\n');
  sklearnModel = path.join(scratch, 'sklearn');
  await mkdir(sklearnModel);
  await writeFile(path.join(sklearnModel, 'MLmodel'), 'flavors:\n  sklearn:\n    pickled_model: model.pkl\n');
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

function useAws(options: FakeOptions = {}): FakeAws {
  aws = fakeAws(options);
  return aws;
}

beforeEach(() => {
  vi.stubEnv('BERTH_SAGEMAKER_POLL_SECONDS', '0.001');
  vi.stubEnv('AWS_REGION', '');
  vi.stubEnv('AWS_DEFAULT_REGION', '');
  vi.stubEnv('AWS_CONFIG_FILE', path.join(os.tmpdir(), 'berth-no-aws-config'));
  for (const proxy of [
    'http_proxy',
    'https_proxy',
    'no_proxy',
    'BERTH_SAGEMAKER_IMAGE_URL',
    'MLFLOW_SAGEMAKER_DEPLOY_IMG_URL',
  ]) {
    vi.stubEnv(proxy, '');
  }
});
afterEach(() => {
  aws?.restore();
  vi.unstubAllEnvs();
});

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (error) {
    if (BerthError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const modelInputs = () => aws.sagemaker.stub.commandCalls(CreateModelCommand).map((call) => call.args[0].input);
const configOf = (name: string) => aws.sagemaker.configs.get(name) as CreateEndpointConfigCommandInput;
const createdEndpoint = () =>
  aws.sagemaker.stub.calls().find((call) => call.args[0].constructor.name === 'CreateEndpointCommand')?.args[0]
    .input as CreateEndpointCommandInput;

describe('createDeployment', () => {
  it("creates model, config and endpoint with MLflow's names, defaults and container environment", async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    const result = await client.createDeployment('iris', IRIS);

    expect(result).toMatchObject({
      name: 'iris',
      flavor: 'onnx',
      state: 'InService',
      url: 'https://runtime.sagemaker.us-west-2.amazonaws.com/endpoints/iris/invocations',
      region: 'us-west-2',
      image: `${ECR_BERTH}:0.1.0`,
    });
    expect(result.modelName).toMatch(/^iris-model-[0-9a-f]{20}$/);
    expect(result.endpointConfigName).toMatch(/^iris-config-[0-9a-f]{20}$/);
    // The variant name equals the model name; the S3 key contains it.
    expect(result.variantName).toBe(result.modelName);
    const key = `${result.modelName}/model.tar.gz`;
    expect(result.modelDataUrl).toBe(`s3://${BUCKET}/${key}`);

    const [model] = modelInputs() as [CreateModelCommandInput];
    expect(model.PrimaryContainer).toEqual({
      Image: `${ECR_BERTH}:0.1.0`,
      ModelDataUrl: `s3://${BUCKET}/${key}`,
      Environment: { MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'onnx', SERVING_ENVIRONMENT: 'SageMaker' },
    });
    expect(model.ExecutionRoleArn).toBe(CALLER_ROLE_ARN);
    expect(model.Tags).toEqual([{ Key: 'model_uri', Value: IRIS }]);

    const config = configOf(result.endpointConfigName);
    expect(config.ProductionVariants).toEqual([
      {
        VariantName: result.modelName,
        ModelName: result.modelName,
        InitialVariantWeight: 1,
        InstanceType: 'ml.m4.xlarge',
        InitialInstanceCount: 1,
      },
    ]);
    expect(config.Tags).toEqual([{ Key: 'app_name', Value: 'iris' }]);
    expect(config.AsyncInferenceConfig).toBeUndefined();
    expect(config.DataCaptureConfig).toBeUndefined();
    expect(createdEndpoint()).toMatchObject({ EndpointName: 'iris', EndpointConfigName: result.endpointConfigName });
    expect(aws.sagemaker.endpoints.get('iris')?.status).toBe('InService');
  });

  it('packs the model directory as model.tar.gz with entries relative to its root, tagged SageMaker=true', async () => {
    useAws();
    const result = await new SageMakerDeploymentClient('sagemaker').createDeployment('pyfunc', pyfuncModel);
    const stored = aws.s3.objects.get(`${BUCKET}/${result.modelName}/model.tar.gz`);
    expect(stored?.tagging).toBe('SageMaker=true');
    expect(aws.s3.archiveEntries(`${BUCKET}/${result.modelName}/model.tar.gz`).sort()).toEqual([
      'MLmodel',
      'artifacts/',
      'artifacts/vocab.txt',
      'model.pkl',
    ]);
    expect(result.modelArchiveBytes).toBe(stored?.body.length);
  });

  it('creates the default bucket when it is missing (LocationConstraint outside us-east-1), not when it exists', async () => {
    useAws();
    await new SageMakerDeploymentClient('sagemaker:/eu-west-1').createDeployment('iris', IRIS);
    expect(aws.s3.stub).toHaveReceivedCommandWith(CreateBucketCommand, {
      Bucket: `mlflow-sagemaker-eu-west-1-${ACCOUNT}`,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
    });
    aws.restore();

    useAws();
    await new SageMakerDeploymentClient('sagemaker:/us-east-1').createDeployment('iris', IRIS);
    const created = aws.s3.stub.commandCalls(CreateBucketCommand)[0]?.args[0].input;
    expect(created).toEqual({ Bucket: `mlflow-sagemaker-us-east-1-${ACCOUNT}` });
    aws.restore();

    useAws();
    aws.s3.buckets.add('models');
    await new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, { config: { bucket: 'models' } });
    expect(aws.s3.stub).not.toHaveReceivedCommand(CreateBucketCommand);
    expect([...aws.s3.objects.keys()][0]).toMatch(/^models\/iris-model-[0-9a-f]{20}\/model\.tar\.gz$/);
  });

  it('merges the user env over the defaults, then copies the proxy variables (test_deploy_..._proxy)', async () => {
    useAws();
    vi.stubEnv('http_proxy', 'http://proxy:3128');
    vi.stubEnv('no_proxy', '169.254.169.254');
    await new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, {
      config: { env: '{"LOG_LEVEL": "debug", "SERVING_ENVIRONMENT": "custom", "http_proxy": "mine", "N": 2}' },
    });
    expect(modelInputs()[0]?.PrimaryContainer?.Environment).toEqual({
      MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'onnx',
      SERVING_ENVIRONMENT: 'custom',
      LOG_LEVEL: 'debug',
      N: '2',
      http_proxy: 'http://proxy:3128',
      no_proxy: '169.254.169.254',
    });
  });

  it("deploys a python_function model with MLflow's mlflow-pyfunc image tagged with the model's MLflow version", async () => {
    useAws();
    const result = await new SageMakerDeploymentClient('sagemaker').createDeployment('pyfunc', pyfuncModel);
    expect(result.flavor).toBe('python_function');
    expect(result.image).toBe(`${ECR_MLFLOW}:2.17.2`);
    expect(modelInputs()[0]?.PrimaryContainer?.Environment).toEqual({
      MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'python_function',
      SERVING_ENVIRONMENT: 'SageMaker',
    });
  });

  it('takes the image from MLFLOW_SAGEMAKER_DEPLOY_IMG_URL, BERTH_SAGEMAKER_IMAGE_URL or image_url', async () => {
    useAws();
    vi.stubEnv('MLFLOW_SAGEMAKER_DEPLOY_IMG_URL', 'registry.example/mlflow:3');
    vi.stubEnv('BERTH_SAGEMAKER_IMAGE_URL', 'registry.example/berth:1');
    const client = new SageMakerDeploymentClient('sagemaker');
    expect((await client.createDeployment('pyfunc', pyfuncModel)).image).toBe('registry.example/mlflow:3');
    expect((await client.createDeployment('iris', IRIS)).image).toBe('registry.example/berth:1');
    expect((await client.createDeployment('iris2', IRIS, { config: { image_url: 'x/y:z' } })).image).toBe('x/y:z');
    expect((await client.createDeployment('iris3', IRIS, { flavor: 'python_function' })).image).toBe(
      'registry.example/mlflow:3',
    );
    expect(aws.ecr.calls()).toHaveLength(0);
  });

  it("says how to build Berth's image when its ECR repository is missing, before creating anything", async () => {
    useAws();
    aws.ecr.reset();
    aws.ecr.rejects(
      Object.assign(new Error("The repository with name 'berth-scoring-server' does not exist"), {
        name: 'RepositoryNotFoundException',
      }),
    );
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toContain("no repository 'berth-scoring-server' in us-west-2");
    expect(error.suggestions.join('\n')).toContain('npx berth-sagemaker image --out ./berth-image');
    expect(error.suggestions.join('\n')).toContain('BERTH_SAGEMAKER_IMAGE_URL');
    expect(aws.s3.objects.size).toBe(0);
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(CreateModelCommand);
  });

  it("refuses flavors with MLflow's messages and codes, before any AWS call", async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    const unsupported = await rejection(client.createDeployment('iris', IRIS, { flavor: 'sklearn' }));
    expect(unsupported.code).toBe('INVALID_PARAMETER_VALUE');
    expect(unsupported.message).toContain('The specified flavor: `sklearn` is not supported for deployment');
    const none = await rejection(client.createDeployment('sk', sklearnModel));
    expect(none.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(none.message).toContain('does not contain any of the supported flavors for deployment');
    expect(none.message).toContain("The model contains the following flavors: ['sklearn']");
    const lacking = await rejection(client.createDeployment('sk', pyfuncModel, { flavor: 'onnx' }));
    expect(lacking.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(lacking.message).toContain('does not contain the specified deployment flavor: `onnx`');
    const missing = await rejection(client.createDeployment('nothing', path.join(scratch, 'nowhere')));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(aws.sagemaker.stub.calls()).toHaveLength(0);
    expect(aws.s3.stub.calls()).toHaveLength(0);
  });

  it('refuses synchronous=false without archive, an app_name tag and a bad name before any AWS call', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    const notArchived = await rejection(client.createDeployment('iris', IRIS, { config: { synchronous: 'False' } }));
    expect(notArchived.code).toBe('INVALID_PARAMETER_VALUE');
    expect(notArchived.message).toContain(
      'Resources must be archived when `deploy()` is executed in non-synchronous mode',
    );
    const tag = await rejection(client.createDeployment('iris', IRIS, { config: { tags: '{"app_name": "other"}' } }));
    expect(tag.message).toContain("Duplicate tag provided for 'app_name'");
    const name = await rejection(client.createDeployment('iris_model', IRIS));
    expect(name.message).toContain("'iris_model' is not a valid SageMaker endpoint name");
    const mode = await rejection(client.createDeployment('iris', IRIS, { config: { mode: 'replace' } }));
    expect(mode.message).toContain('mode=replace applies to update');
    expect(aws.sagemaker.stub.calls()).toHaveLength(0);
    expect(aws.s3.stub.calls()).toHaveLength(0);
  });

  it('puts user tags (stringified) on the model and the endpoint', async () => {
    useAws();
    await new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, {
      config: { tags: '{"team": "ml", "cost": 7, "prod": true}' },
    });
    const expected = [
      { Key: 'team', Value: 'ml' },
      { Key: 'cost', Value: '7' },
      { Key: 'prod', Value: 'True' },
    ];
    expect(modelInputs()[0]?.Tags).toEqual([{ Key: 'model_uri', Value: IRIS }, ...expected]);
    expect(createdEndpoint().Tags).toEqual([
      { Key: 'app_name', Value: 'iris' },
      { Key: 'model_uri', Value: IRIS },
      { Key: 'berth:flavor', Value: 'onnx' },
      ...expected,
    ]);
  });

  it('refuses an existing name in create mode with MLflow message', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    await client.createDeployment('iris', IRIS);
    const error = await rejection(client.createDeployment('iris', IRIS));
    expect(error.code).toBe('RESOURCE_ALREADY_EXISTS');
    expect(error.message).toContain('an application with the same name already exists');
    expect(aws.sagemaker.stub.commandCalls(CreateModelCommand)).toHaveLength(1);
  });

  it('waits through Creating when synchronous, reporting progress; returns at once when not', async () => {
    useAws({ latency: 4 });
    const events: ProgressEvent[] = [];
    const client = new SageMakerDeploymentClient('sagemaker');
    const result = await client.createDeployment('iris', IRIS, { onProgress: (event) => events.push(event) });
    expect(result.state).toBe('InService');
    expect(aws.sagemaker.stub.commandCalls(DescribeEndpointCommand).length).toBeGreaterThanOrEqual(5 + 1);
    const waiting = events.filter((event) => event.state === 'Creating');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]?.message).toBe("Creating endpoint 'iris': Creating");
    expect(waiting[0]?.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(waiting[0]?.interruptHint).toContain('SageMaker goes on creating');

    const quick = await client.createDeployment('iris-async', IRIS, { config: { synchronous: false, archive: true } });
    expect(quick.state).toBe('Creating');
    expect(aws.sagemaker.endpoints.get('iris-async')?.status).toBe('Creating');
  });

  it('raises "deployment operation failed" (INTERNAL_ERROR) when the endpoint ends Failed, and keeps nothing', async () => {
    useAws({ failCreate: 'The primary container for production variant x did not pass the ping health check.' });
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.message).toMatch(
      /^The deployment operation failed with the following error message: "The primary container for production variant x did not pass the ping health check\." Nothing is kept: removed endpoint iris, endpoint config iris-config-[0-9a-f]{20}, s3:\/\/.+\/iris-model-[0-9a-f]{20}\/model\.tar\.gz, model iris-model-[0-9a-f]{20}\.$/,
    );
    expect(error.suggestions.join(' ')).toContain('CloudWatch Logs (/aws/sagemaker/Endpoints/iris)');
    expect(aws.sagemaker.endpoints.size).toBe(0);
    expect(aws.sagemaker.configs.size).toBe(0);
    expect(aws.sagemaker.models.size).toBe(0);
    expect(aws.s3.objects.size).toBe(0);
  });

  it('keeps the Failed endpoint, its config, model and model.tar.gz with archive=true, and says how to delete them', async () => {
    useAws({ failCreate: 'ping health check failed' });
    const error = await rejection(
      new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, { config: { archive: 'true' } }),
    );
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.message).toContain(
      '"ping health check failed" Kept, as archive=true asks: endpoint iris, endpoint config iris-config-',
    );
    expect(error.suggestions).toContain(
      '`berth delete -t sagemaker --name iris` removes the endpoint, its config, model and model.tar.gz.',
    );
    expect(aws.sagemaker.endpoints.get('iris')?.status).toBe('Failed');
    expect(aws.sagemaker.configs.size).toBe(1);
    expect(aws.sagemaker.models.size).toBe(1);
    expect(aws.s3.objects.size).toBe(1);
  });

  it('removes the model and model.tar.gz when CreateEndpointConfig is refused', async () => {
    useAws();
    aws.sagemaker.stub
      .on(CreateEndpointConfigCommand)
      .rejects(
        Object.assign(new Error('The account-level service limit is exceeded.'), { name: 'ResourceLimitExceeded' }),
      );
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(error.message).toContain('The account-level service limit is exceeded.');
    expect(error.message).toMatch(/Nothing is kept: removed s3:\/\/.+\/model\.tar\.gz, model iris-model-/);
    expect(aws.sagemaker.models.size).toBe(0);
    expect(aws.s3.objects.size).toBe(0);
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(CreateEndpointCommand);
  });

  it('removes only the upload when CreateModel is refused, and names the AWS CLI commands when archiving', async () => {
    useAws();
    aws.sagemaker.stub
      .on(CreateModelCommand)
      .rejects(Object.assign(new Error('Could not access model data.'), { name: 'ValidationException' }));
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(error.message).toMatch(/Nothing is kept: removed s3:\/\/.+\/model\.tar\.gz\.$/);
    expect(aws.s3.objects.size).toBe(0);

    const archived = await rejection(
      new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, { config: { archive: 'true' } }),
    );
    expect(archived.message).toMatch(/Kept, as archive=true asks: s3:\/\/.+\/model\.tar\.gz\.$/);
    expect(archived.suggestions.at(-1)).toMatch(/^Remove them with: aws s3 rm s3:\/\/.+\/model\.tar\.gz$/);
    expect(aws.s3.objects.size).toBe(1);
  });

  it('never removes an endpoint it did not make (CreateEndpoint refused: the name was taken meanwhile)', async () => {
    useAws();
    aws.sagemaker.stub
      .on(CreateEndpointCommand)
      .rejects(
        Object.assign(new Error('Cannot create already existing endpoint "iris".'), { name: 'ValidationException' }),
      );
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(error.message).toContain('Cannot create already existing endpoint');
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(aws.sagemaker.configs.size).toBe(0);
    expect(aws.sagemaker.models.size).toBe(0);
  });

  it("times out with MLflow's message and DEADLINE_EXCEEDED", async () => {
    useAws({ latency: 1_000_000 });
    vi.stubEnv('BERTH_SAGEMAKER_POLL_SECONDS', '0.4');
    const error = await rejection(
      new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, { config: { timeout_seconds: '1' } }),
    );
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.message).toContain('Timed out after waiting 1 seconds for the operation to complete.');
  });

  it('stops waiting when the signal aborts, saying the operation goes on in AWS', async () => {
    useAws({ latency: 1_000_000 });
    const controller = new AbortController();
    const error = await rejection(
      new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, {
        signal: controller.signal,
        onProgress: (event) => {
          if (event.state === 'Creating') controller.abort();
        },
      }),
    );
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toContain("SageMaker goes on creating 'iris'");
  });

  it('sets AsyncInferenceConfig, ServerlessConfig, DataCaptureConfig, ExplainerConfig and VpcConfig when given', async () => {
    useAws();
    const asyncConfig = {
      OutputConfig: { S3OutputPath: 's3://out/async' },
      ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 },
    };
    const capture = {
      EnableCapture: true,
      InitialSamplingPercentage: 50,
      DestinationS3Uri: 's3://capture/iris',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    };
    const vpc = { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1', 'subnet-2'] };
    const client = new SageMakerDeploymentClient('sagemaker');
    const first = await client.createDeployment('iris', IRIS, {
      config: {
        async_inference_config: JSON.stringify(asyncConfig),
        data_capture_config: JSON.stringify(capture),
        vpc_config: JSON.stringify(vpc),
      },
    });
    expect(configOf(first.endpointConfigName).AsyncInferenceConfig).toEqual(asyncConfig);
    expect(configOf(first.endpointConfigName).DataCaptureConfig).toEqual(capture);
    expect(modelInputs()[0]?.VpcConfig).toEqual(vpc);

    const serverless = await client.createDeployment('iris-sls', IRIS, {
      config: { serverless_config: '{"MemorySizeInMB": 2048, "MaxConcurrency": 5}' },
    });
    expect(configOf(serverless.endpointConfigName).ProductionVariants).toEqual([
      {
        VariantName: serverless.modelName,
        ModelName: serverless.modelName,
        InitialVariantWeight: 1,
        ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
      },
    ]);
    // MLflow's default {} is "not set".
    const plain = await client.createDeployment('iris-plain', IRIS, {
      config: { async_inference_config: '{}', serverless_config: '{}' },
    });
    expect(configOf(plain.endpointConfigName).AsyncInferenceConfig).toBeUndefined();
    expect(configOf(plain.endpointConfigName).ProductionVariants?.[0]?.InstanceType).toBe('ml.m4.xlarge');
  });

  it('runs the default execution role lookup as MLflow does, and explains an IAM user', async () => {
    useAws();
    await new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS);
    expect(aws.iam.calls()[0]?.args[0].input).toEqual({ RoleName: 'deployer' });
    aws.restore();

    useAws();
    aws.sts.reset();
    aws.sts.resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/alice` });
    const user = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(user.code).toBe('INVALID_PARAMETER_VALUE');
    expect(user.message).toContain("is the IAM user 'alice', not a role");
    expect(user.suggestions[0]).toContain(`-C execution_role_arn=arn:aws:iam::${ACCOUNT}:role/`);
    expect(aws.iam.calls()).toHaveLength(0);
    aws.restore();

    useAws();
    aws.sts.reset();
    aws.sts.resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ghost/s` });
    const ghost = await rejection(new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS));
    expect(ghost.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(ghost.message).toContain("Could not find the execution role 'ghost'");
    expect(ghost.message).toContain('NoSuchEntityException');
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(CreateModelCommand);
  });

  it('uses execution_role_arn as given (no STS or IAM for the role)', async () => {
    useAws();
    const role = `arn:aws:iam::${ACCOUNT}:role/sagemaker-exec`;
    await new SageMakerDeploymentClient('sagemaker').createDeployment('iris', IRIS, {
      config: { execution_role_arn: role, bucket: 'models' },
    });
    expect(modelInputs()[0]?.ExecutionRoleArn).toBe(role);
    expect(aws.iam.calls()).toHaveLength(0);
    expect(aws.sts.calls()).toHaveLength(0);
  });
});

describe('updateDeployment', () => {
  async function deployed(options: FakeOptions = {}) {
    useAws(options);
    const client = new SageMakerDeploymentClient('sagemaker');
    const first = await client.createDeployment('iris', IRIS, { config: { tags: '{"team": "ml"}' } });
    return { client, first };
  }

  it('replace mode leaves exactly the new variant, then removes the old model, its S3 object and the old config', async () => {
    const { client, first } = await deployed();
    const result = await client.updateDeployment('iris', { modelUri: pyfuncModel });
    expect(result).toMatchObject({ state: 'InService', mode: 'replace', flavor: 'python_function' });
    const endpoint = aws.sagemaker.endpoints.get('iris');
    expect(endpoint?.config).toBe(result.endpointConfigName);
    expect(configOf(result.endpointConfigName).ProductionVariants?.map((variant) => variant.ModelName)).toEqual([
      result.modelName,
    ]);
    expect([...aws.sagemaker.models.keys()]).toEqual([result.modelName]);
    expect([...aws.sagemaker.configs.keys()]).toEqual([result.endpointConfigName]);
    expect([...aws.s3.objects.keys()]).toEqual([`${BUCKET}/${result.modelName}/model.tar.gz`]);
    expect(result.removed).toEqual([
      `s3://${BUCKET}/${first.modelName}/model.tar.gz`,
      `model ${first.modelName}`,
      `endpoint config ${first.endpointConfigName}`,
    ]);
    // The endpoint's tags now name the new model (MLflow leaves the create-time ones).
    expect(endpoint?.tags).toContainEqual({ Key: 'model_uri', Value: pyfuncModel });
    expect(endpoint?.tags).toContainEqual({ Key: 'berth:flavor', Value: 'python_function' });
  });

  it('deletes replaced resources only after the endpoint is InService on the new config', async () => {
    const { client } = await deployed({ latency: 3 });
    await client.updateDeployment('iris', { modelUri: IRIS });
    const calls = aws.sagemaker.stub.calls().map((call) => call.args[0].constructor.name);
    const update = calls.indexOf('UpdateEndpointCommand');
    const firstDelete = calls.indexOf('DeleteModelCommand');
    const describesBetween = calls.slice(update, firstDelete).filter((name) => name === 'DescribeEndpointCommand');
    expect(describesBetween.length).toBeGreaterThanOrEqual(4);
    expect(firstDelete).toBeGreaterThan(update);
  });

  it('add mode keeps the current variants at their current weights and adds the new one at weight 0', async () => {
    const { client, first } = await deployed();
    const result = await client.updateDeployment('iris', {
      modelUri: IRIS,
      config: { mode: 'add', variant_name: 'v2' },
    });
    const variants = configOf(result.endpointConfigName).ProductionVariants ?? [];
    expect(variants.map((variant) => [variant.VariantName, variant.InitialVariantWeight])).toEqual([
      [first.modelName, 1],
      ['v2', 0],
    ]);
    expect(aws.sagemaker.models.has(first.modelName)).toBe(true);
    expect(aws.sagemaker.configs.has(first.endpointConfigName)).toBe(false);
    const clash = await rejection(
      client.updateDeployment('iris', { modelUri: IRIS, config: { mode: 'add', variant_name: 'v2' } }),
    );
    expect(clash.message).toContain("already has a variant named 'v2'");
  });

  it('refuses mode=create on update and a missing model URI', async () => {
    const { client } = await deployed();
    const mode = await rejection(client.updateDeployment('iris', { modelUri: IRIS, config: { mode: 'create' } }));
    expect(mode.code).toBe('INVALID_PARAMETER_VALUE');
    expect(mode.message).toBe('Invalid mode `create` for deployment to a pre-existing application');
    const uri = await rejection(client.updateDeployment('iris', {}));
    expect(uri.message).toBe('A model_uri must be provided when updating a SageMaker deployment');
  });

  it('detects SageMaker rolling back (InService on the old config) and removes the unused new model and config', async () => {
    const { client, first } = await deployed();
    aws.sagemaker.options.rollBackUpdate = 'Updated production variant did not pass the ping health check.';
    const error = await rejection(client.updateDeployment('iris', { modelUri: IRIS }));
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.message).toContain('The deployment operation failed with the following error message');
    expect(error.message).toContain('SageMaker rolled the update back');
    expect(aws.sagemaker.endpoints.get('iris')?.config).toBe(first.endpointConfigName);
    expect([...aws.sagemaker.models.keys()]).toEqual([first.modelName]);
    expect([...aws.sagemaker.configs.keys()]).toEqual([first.endpointConfigName]);
    expect([...aws.s3.objects.keys()]).toEqual([`${BUCKET}/${first.modelName}/model.tar.gz`]);
  });

  it('raises "deployment operation failed" when the update fails', async () => {
    const { client } = await deployed();
    aws.sagemaker.options.failUpdate = 'Insufficient capacity';
    const error = await rejection(client.updateDeployment('iris', { modelUri: IRIS }));
    expect(error.message).toBe(
      'The deployment operation failed with the following error message: "Insufficient capacity"',
    );
  });

  it('replace with archive keeps every old model, config and S3 object', async () => {
    const { client, first } = await deployed();
    const result = await client.updateDeployment('iris', { modelUri: IRIS, config: { archive: true } });
    expect(aws.sagemaker.models.has(first.modelName)).toBe(true);
    expect(aws.sagemaker.configs.has(first.endpointConfigName)).toBe(true);
    expect(aws.s3.objects.has(`${BUCKET}/${first.modelName}/model.tar.gz`)).toBe(true);
    expect(result.removed).toBeUndefined();
  });

  it('returns Updating at once when asynchronous', async () => {
    const { client } = await deployed();
    const result = await client.updateDeployment('iris', {
      modelUri: IRIS,
      config: { synchronous: false, archive: true },
    });
    expect(result.state).toBe('Updating');
    expect(aws.sagemaker.endpoints.get('iris')?.status).toBe('Updating');
  });

  it('keeps data capture, async inference, explainer and serverless settings unless changed (MLflow #7255)', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    const capture = {
      InitialSamplingPercentage: 20,
      DestinationS3Uri: 's3://capture/iris',
      CaptureOptions: [{ CaptureMode: 'InputAndOutput' }],
    };
    const asyncConfig = { OutputConfig: { S3OutputPath: 's3://out/async' } };
    await client.createDeployment('iris', IRIS, {
      config: {
        data_capture_config: JSON.stringify(capture),
        async_inference_config: JSON.stringify(asyncConfig),
        serverless_config: '{"MemorySizeInMB": 1024, "MaxConcurrency": 2}',
      },
    });
    const kept = await client.updateDeployment('iris', { modelUri: IRIS });
    expect(configOf(kept.endpointConfigName)).toMatchObject({
      DataCaptureConfig: capture,
      AsyncInferenceConfig: asyncConfig,
      ProductionVariants: [{ ServerlessConfig: { MemorySizeInMB: 1024, MaxConcurrency: 2 } }],
    });
    const changed = await client.updateDeployment('iris', {
      modelUri: IRIS,
      config: { data_capture_config: '{}', instance_type: 'ml.m5.large' },
    });
    const config = configOf(changed.endpointConfigName);
    expect(config.DataCaptureConfig).toBeUndefined();
    expect(config.AsyncInferenceConfig).toEqual(asyncConfig);
    expect(config.ProductionVariants?.[0]).toMatchObject({ InstanceType: 'ml.m5.large', InitialInstanceCount: 1 });
    expect(config.ProductionVariants?.[0]?.ServerlessConfig).toBeUndefined();
  });

  it('refuses to update an endpoint that is busy, before creating anything', async () => {
    const { client } = await deployed();
    await client.updateDeployment('iris', { modelUri: IRIS, config: { synchronous: false, archive: true } });
    const models = aws.sagemaker.models.size;
    const error = await rejection(client.updateDeployment('iris', { modelUri: IRIS }));
    expect(error.code).toBe('RESOURCE_CONFLICT');
    expect(error.message).toContain("The endpoint 'iris' is Updating");
    expect(aws.sagemaker.models.size).toBe(models);
  });

  it("refuses a name that does not exist (RESOURCE_DOES_NOT_EXIST; Berth's contract, not MLflow's create branch)", async () => {
    useAws();
    const error = await rejection(
      new SageMakerDeploymentClient('sagemaker').updateDeployment('fresh', { modelUri: IRIS }),
    );
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toBe(
      "There is no SageMaker endpoint named 'fresh' in us-west-2 to update; nothing was created.",
    );
    expect(error.suggestions[0]).toBe(`Create it: berth create -t sagemaker --name fresh -m ${IRIS}`);
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(CreateModelCommand);
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(CreateEndpointConfigCommand);
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(aws.s3.stub.calls()).toHaveLength(0);
  });

  describe('guarded rollouts', () => {
    it('passes deployment_config to UpdateEndpoint and reports the completed rollout', async () => {
      const { client } = await deployed();
      const deploymentConfig = {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            WaitIntervalInSeconds: 60,
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
          },
          TerminationWaitInSeconds: 120,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'iris-5xx' }] },
      };
      const result = await client.updateDeployment('iris', {
        modelUri: IRIS,
        config: { deployment_config: JSON.stringify(deploymentConfig) },
      });
      const update = aws.sagemaker.stub.commandCalls(UpdateEndpointCommand)[0]?.args[0]
        .input as UpdateEndpointCommandInput;
      expect(update.DeploymentConfig).toEqual(deploymentConfig);
      expect(result.rollout).toEqual({ status: 'completed', strategy: 'CANARY' });
    });

    it('builds LINEAR blue/green from the short keys', async () => {
      const { client } = await deployed();
      await client.updateDeployment('iris', {
        modelUri: IRIS,
        config: {
          traffic_routing: 'linear',
          traffic_step: '25%',
          wait_interval_seconds: '30',
          termination_wait_seconds: '0',
          rollback_alarms: 'iris-latency,iris-errors',
        },
      });
      const update = aws.sagemaker.stub.commandCalls(UpdateEndpointCommand)[0]?.args[0]
        .input as UpdateEndpointCommandInput;
      expect(update.DeploymentConfig).toEqual({
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'LINEAR',
            WaitIntervalInSeconds: 30,
            LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 },
          },
          TerminationWaitInSeconds: 0,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'iris-latency' }, { AlarmName: 'iris-errors' }] },
      });
    });

    it('says the rollout was rolled back, naming the alarm and its reason (ABORTED)', async () => {
      const { client, first } = await deployed();
      aws.alarms.push({
        AlarmName: 'iris-5xx',
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).',
      });
      aws.sagemaker.options.rollBackUpdate = 'Alarm iris-5xx triggered rollback';
      const error = await rejection(
        client.updateDeployment('iris', {
          modelUri: IRIS,
          config: { traffic_routing: 'CANARY', rollback_alarms: 'iris-5xx', wait_interval_seconds: 60 },
        }),
      );
      expect(error.code).toBe('ABORTED');
      expect(error.message).toContain("The CANARY rollout of 'iris' was rolled back: alarm 'iris-5xx' is in ALARM");
      expect(error.message).toContain('Threshold Crossed');
      expect(error.message).toContain(`still serves its previous configuration ${first.endpointConfigName}`);
      expect(error.details?.rollout).toMatchObject({ status: 'rolled back', strategy: 'CANARY' });
      expect(aws.sagemaker.endpoints.get('iris')?.config).toBe(first.endpointConfigName);
    });

    it('refuses rollout keys on create and deployment_config together with the short keys', async () => {
      useAws();
      const client = new SageMakerDeploymentClient('sagemaker');
      const onCreate = await rejection(
        client.createDeployment('iris', IRIS, { config: { traffic_routing: 'CANARY' } }),
      );
      expect(onCreate.message).toContain("'traffic_routing' do not apply to create");
      const both = await rejection(
        client.updateDeployment('iris', {
          modelUri: IRIS,
          config: {
            traffic_routing: 'CANARY',
            deployment_config:
              '{"BlueGreenUpdatePolicy":{"TrafficRoutingConfiguration":{"Type":"ALL_AT_ONCE","WaitIntervalInSeconds":0}}}',
          },
        }),
      );
      expect(both.message).toContain('Pass either deployment_config or the short rollout keys');
      expect(aws.sagemaker.stub.calls()).toHaveLength(0);
    });
  });
});

describe('deleteDeployment', () => {
  it('refuses asynchronous without archive', async () => {
    useAws();
    const error = await rejection(
      new SageMakerDeploymentClient('sagemaker').deleteDeployment('iris', { config: { synchronous: 'False' } }),
    );
    expect(error.message).toContain('Resources must be archived when `delete()` is executed in non-synchronous mode');
  });

  it('removes the endpoint, its config, every model and S3 object when synchronous and not archived', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    await client.createDeployment('iris', IRIS);
    await client.updateDeployment('iris', { modelUri: IRIS, config: { mode: 'add' } });
    const report = await client.deleteDeploymentWithReport('iris');
    expect(report.deleted).toBe(true);
    expect(aws.sagemaker.endpoints.size).toBe(0);
    expect(aws.sagemaker.configs.size).toBe(0);
    expect(aws.sagemaker.models.size).toBe(0);
    expect(aws.s3.objects.size).toBe(0);
  });

  it('with archive, deletes only the endpoint', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    await client.createDeployment('iris', IRIS);
    await client.deleteDeployment('iris', { config: { archive: 'True' } });
    expect(aws.sagemaker.endpoints.size).toBe(0);
    expect(aws.sagemaker.configs.size).toBe(1);
    expect(aws.sagemaker.models.size).toBe(1);
    expect(aws.s3.objects.size).toBe(1);
  });

  it('is idempotent: a missing deployment is success and nothing is deleted', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    await client.createDeployment('iris', IRIS);
    await client.deleteDeployment('iris');
    const again = await client.deleteDeploymentWithReport('iris');
    expect(again).toEqual({ deleted: false, removed: [] });
    expect(
      aws.sagemaker.stub.calls().filter((call) => call.args[0].constructor.name === 'DeleteEndpointCommand'),
    ).toHaveLength(1);
  });

  it('reads region_name from its config', async () => {
    useAws();
    await new SageMakerDeploymentClient('sagemaker').deleteDeployment('iris', { config: { region_name: 'eu-west-1' } });
    const sent = aws.sagemaker.stub.calls()[0]?.thisValue as { config: { region: () => Promise<string> } };
    expect(await sent.config.region()).toBe('eu-west-1');
  });
});

describe('getDeployment and listDeployments', () => {
  it('get returns a typed deployment (name, state, url, variants, model) without SDK metadata', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    const created = await client.createDeployment('iris', IRIS, { config: { instance_count: '2' } });
    const deployment = await client.getDeployment('iris');
    expect(deployment).toMatchObject({
      name: 'iris',
      state: 'InService',
      url: created.url,
      flavor: 'onnx',
      modelUri: IRIS,
      endpointConfigName: created.endpointConfigName,
      variants: [
        {
          name: created.modelName,
          modelName: created.modelName,
          weight: 1,
          instanceType: 'ml.m4.xlarge',
          instanceCount: 2,
        },
      ],
    });
    expect(deployment).not.toHaveProperty('$metadata');
    expect(deployment).not.toHaveProperty('ResponseMetadata');
  });

  it('get of a missing deployment is RESOURCE_DOES_NOT_EXIST', async () => {
    useAws();
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').getDeployment('nope'));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toContain('There was an error while retrieving the deployment');
  });

  it('list reads every page and gives each item name, state and url', async () => {
    useAws({ pageSize: 2 });
    const client = new SageMakerDeploymentClient('sagemaker');
    for (const name of ['a', 'b', 'c']) {
      await client.createDeployment(name, IRIS, { config: { synchronous: false, archive: true } });
    }
    const listed = await client.listDeployments();
    expect(listed.map((item) => [item.name, item.state])).toEqual([
      ['a', 'Creating'],
      ['b', 'Creating'],
      ['c', 'Creating'],
    ]);
    expect(listed[2]?.url).toBe('https://runtime.sagemaker.us-west-2.amazonaws.com/endpoints/c/invocations');
    const listCalls = aws.sagemaker.stub
      .calls()
      .filter((call) => call.args[0].constructor.name === 'ListEndpointsCommand');
    expect(listCalls).toHaveLength(2);
    // A list needs no identity, role, bucket or image lookups.
    aws.sts.resetHistory();
    await new SageMakerDeploymentClient('sagemaker').listDeployments();
    expect(aws.sts.calls()).toHaveLength(0);
  });
});

describe('close', () => {
  it('destroys the SDK clients it built', async () => {
    useAws();
    const client = new SageMakerDeploymentClient('sagemaker');
    await client.listDeployments();
    const sagemaker = aws.sagemaker.stub.calls()[0]?.thisValue as { destroy: () => void };
    const destroy = vi.spyOn(sagemaker, 'destroy');
    await client.close();
    expect(destroy).toHaveBeenCalledTimes(1);
    expect(aws.sagemaker.stub).toHaveReceivedCommandTimes(DeleteModelCommand, 0);
  });
});
