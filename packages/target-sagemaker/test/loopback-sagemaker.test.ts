/**
 * The loopback SageMaker server, driven with the real AWS SDK clients: lifecycle transitions,
 * errors, paging, blue/green deployments with alarm rollback (alarms in moto's CloudWatch),
 * weights, tags, and the runtime (InvokeEndpoint, response streaming, async) running the
 * uploaded model.tar.gz in a real scoring server.
 */
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
} from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type LoopbackSageMaker,
  startLoopbackSageMaker,
} from './support/loopback-sagemaker/loopback-sagemaker-server.js';
import { type MotoServer, skipWithoutMoto, startMotoServer } from './support/moto-server.js';
import {
  BERTH_IMAGE,
  irisModel,
  REGION,
  ROLE_ARN,
  type TestClients,
  testClients,
  until,
  uploadModelTarball,
} from './support/test-clients.js';

const IRIS_REQUEST = JSON.stringify({
  dataframe_split: {
    columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.2, 2.9, 4.3, 1.3],
      [7.7, 3.0, 6.1, 2.3],
    ],
  },
});

describe.skipIf(skipWithoutMoto('loopback SageMaker'))('loopback SageMaker server', () => {
  let moto: MotoServer;
  let sagemaker: LoopbackSageMaker;
  let clients: TestClients;
  let modelData: string;

  beforeAll(async () => {
    moto = await startMotoServer();
    sagemaker = await startLoopbackSageMaker({
      motoUrl: moto.url,
      createLatencyMs: 100,
      updateLatencyMs: 100,
      deleteLatencyMs: 50,
      secondsMs: 100,
      alarmPollMs: 25,
    });
    clients = testClients(moto.url, sagemaker.url);
  }, 60_000);

  afterAll(async () => {
    clients?.destroy();
    await sagemaker?.close();
    await moto?.stop();
  });

  beforeEach(async () => {
    await sagemaker.reset();
    await moto.reset();
    modelData = await uploadModelTarball(clients.s3, 'berth-models', 'iris/model.tar.gz', irisModel);
  });

  async function createModel(name: string, image = BERTH_IMAGE) {
    await clients.sagemaker.send(
      new CreateModelCommand({
        ModelName: name,
        ExecutionRoleArn: ROLE_ARN,
        PrimaryContainer: {
          Image: image,
          ModelDataUrl: modelData,
          Environment: { MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'onnx' },
        },
      }),
    );
  }

  async function createConfig(
    name: string,
    variants: Array<{ variant: string; model: string; weight?: number }>,
    extra = {},
  ) {
    await clients.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: name,
        ProductionVariants: variants.map((entry) => ({
          VariantName: entry.variant,
          ModelName: entry.model,
          InitialVariantWeight: entry.weight ?? 1,
          InstanceType: 'ml.m5.large',
          InitialInstanceCount: 1,
        })),
        ...extra,
      }),
    );
  }

  const describeEndpoint = (name: string) =>
    clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));

  async function waitForStatus(name: string, wanted: (status: string | undefined) => boolean) {
    return until<DescribeEndpointCommandOutput>(
      async () => {
        const description = await describeEndpoint(name);
        return wanted(description.EndpointStatus) ? description : undefined;
      },
      30_000,
      `endpoint ${name}`,
    );
  }

  async function errorOf(
    promise: Promise<unknown>,
  ): Promise<{ name: string; message: string; status: number | undefined }> {
    try {
      await promise;
    } catch (error) {
      const record = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
      return { name: record.name, message: record.message, status: record.$metadata?.httpStatusCode };
    }
    throw new Error('expected the call to fail');
  }

  it('Creating → InService once the container answers /ping; InvokeEndpoint runs the uploaded model', async () => {
    await createModel('iris-model');
    await createConfig('iris-config', [{ variant: 'primary', model: 'iris-model' }]);
    await clients.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'iris', EndpointConfigName: 'iris-config' }),
    );
    expect((await describeEndpoint('iris')).EndpointStatus).toBe('Creating');
    const ready = await waitForStatus('iris', (status) => status !== 'Creating');
    expect(ready.EndpointStatus).toBe('InService');
    expect(ready.EndpointArn).toBe(`arn:aws:sagemaker:${REGION}:123456789012:endpoint/iris`);
    expect(ready.ProductionVariants).toMatchObject([
      {
        VariantName: 'primary',
        CurrentWeight: 1,
        CurrentInstanceCount: 1,
        DeployedImages: [{ SpecifiedImage: BERTH_IMAGE }],
      },
    ]);
    expect(ready.CreationTime).toBeInstanceOf(Date);

    const answer = await clients.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: 'iris',
        Body: Buffer.from(IRIS_REQUEST),
        ContentType: 'application/json',
      }),
    );
    expect(answer.InvokedProductionVariant).toBe('primary');
    expect(answer.ContentType).toBe('application/json');
    const predictions = JSON.parse(Buffer.from(answer.Body as Uint8Array).toString()).predictions as unknown[];
    expect(predictions).toHaveLength(3);

    // A request the model refuses is SageMaker's ModelError, carrying the container's status and body.
    const refused = await clients.runtime
      .send(
        new InvokeEndpointCommand({
          EndpointName: 'iris',
          Body: Buffer.from('{"nope": 1}'),
          ContentType: 'application/json',
        }),
      )
      .then(
        () => undefined,
        (error: {
          name: string;
          OriginalStatusCode?: number;
          OriginalMessage?: string;
          $metadata: { httpStatusCode?: number };
        }) => error,
      );
    expect(refused).toMatchObject({ name: 'ModelError', OriginalStatusCode: 400, $metadata: { httpStatusCode: 424 } });
    expect(JSON.parse(refused?.OriginalMessage ?? '{}')).toMatchObject({ error_code: 'BAD_REQUEST' });

    const missing = await errorOf(
      clients.runtime.send(
        new InvokeEndpointCommand({ EndpointName: 'nope', Body: Buffer.from('{}'), ContentType: 'application/json' }),
      ),
    );
    expect(missing).toEqual({
      name: 'ValidationError',
      message: 'Endpoint nope of account 123456789012 not found.',
      status: 400,
    });
  }, 60_000);

  it('refuses duplicates, missing resources and bad names as SageMaker does', async () => {
    await createModel('m1');
    const duplicate = await errorOf(createModel('m1'));
    expect(duplicate).toEqual({
      name: 'ValidationException',
      message: `Cannot create already existing model "arn:aws:sagemaker:${REGION}:123456789012:model/m1".`,
      status: 400,
    });
    expect(await errorOf(clients.sagemaker.send(new DescribeModelCommand({ ModelName: 'ghost' })))).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Could not find model'),
    });
    expect(await errorOf(describeEndpoint('ghost'))).toMatchObject({
      name: 'ValidationException',
      message: `Could not find endpoint "arn:aws:sagemaker:${REGION}:123456789012:endpoint/ghost".`,
    });
    expect(await errorOf(createConfig('c1', [{ variant: 'v', model: 'ghost' }]))).toMatchObject({
      message: expect.stringContaining('Could not find model'),
    });
    expect(await errorOf(createModel('bad_name'))).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('failed to satisfy constraint: Member must satisfy regular expression pattern'),
    });
    expect(await errorOf(createModel('x'.repeat(64)))).toMatchObject({
      message: expect.stringContaining('length less than or equal to 63'),
    });
    await createConfig('c1', [{ variant: 'v', model: 'm1' }]);
    await clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'e1', EndpointConfigName: 'c1' }));
    expect(
      await errorOf(
        clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'e1', EndpointConfigName: 'c1' })),
      ),
    ).toMatchObject({
      message: `Cannot create already existing endpoint "arn:aws:sagemaker:${REGION}:123456789012:endpoint/e1".`,
    });
    // Not InService yet: an update is refused.
    expect(
      await errorOf(
        clients.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'e1', EndpointConfigName: 'c1' })),
      ),
    ).toMatchObject({ message: expect.stringContaining('Cannot update in-progress endpoint') });
  }, 60_000);

  it('pages ListEndpoints with NextToken and MaxResults, filtered and sorted', async () => {
    const loopback = await startLoopbackSageMaker({ runContainers: false, createLatencyMs: 0 });
    const plain = testClients(moto.url, loopback.url);
    try {
      await plain.sagemaker.send(
        new CreateModelCommand({
          ModelName: 'm',
          ExecutionRoleArn: ROLE_ARN,
          PrimaryContainer: { Image: BERTH_IMAGE },
        }),
      );
      await plain.sagemaker.send(
        new CreateEndpointConfigCommand({
          EndpointConfigName: 'c',
          ProductionVariants: [
            { VariantName: 'v', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
          ],
        }),
      );
      const names = ['app-a', 'app-b', 'other-c', 'app-d', 'app-e'];
      for (const name of names) {
        await plain.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: 'c' }));
      }
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const answer = await plain.sagemaker.send(
          new ListEndpointsCommand({
            MaxResults: 2,
            NameContains: 'app',
            SortBy: 'Name',
            SortOrder: 'Ascending',
            NextToken: token,
          }),
        );
        pages++;
        seen.push(...(answer.Endpoints ?? []).map((endpoint) => endpoint.EndpointName as string));
        token = answer.NextToken;
      } while (token && pages < 10);
      expect(seen).toEqual(['app-a', 'app-b', 'app-d', 'app-e']);
      expect(pages).toBe(2);
      const defaultOrder = await plain.sagemaker.send(new ListEndpointsCommand({}));
      expect(defaultOrder.Endpoints?.map((endpoint) => endpoint.EndpointName)).toEqual([...names].reverse());
      const first = await plain.sagemaker.send(new ListEndpointsCommand({ MaxResults: 1 }));
      expect(
        await errorOf(
          plain.sagemaker.send(new ListEndpointsCommand({ MaxResults: 1, SortBy: 'Name', NextToken: first.NextToken })),
        ),
      ).toMatchObject({ name: 'ValidationException', message: 'Invalid pagination token' });
      expect(await errorOf(plain.sagemaker.send(new ListEndpointsCommand({ MaxResults: 101 })))).toMatchObject({
        name: 'ValidationException',
      });
    } finally {
      plain.destroy();
      await loopback.close();
    }
  }, 60_000);

  it('an injected failure or a broken model ends Failed with the reason; delete goes Deleting → gone', async () => {
    await createModel('m');
    await createConfig('c', [{ variant: 'v', model: 'm' }]);
    sagemaker.control.injectFailure('CreateEndpoint', 'Insufficient capacity for ml.m5.large.', 'doomed');
    await clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'doomed', EndpointConfigName: 'c' }));
    const failed = await waitForStatus('doomed', (status) => status !== 'Creating');
    expect(failed).toMatchObject({ EndpointStatus: 'Failed', FailureReason: 'Insufficient capacity for ml.m5.large.' });

    await clients.s3.send(
      new PutObjectCommand({ Bucket: 'berth-models', Key: 'broken/model.tar.gz', Body: 'not a tarball' }),
    );
    await clients.sagemaker.send(
      new CreateModelCommand({
        ModelName: 'broken',
        ExecutionRoleArn: ROLE_ARN,
        PrimaryContainer: { Image: BERTH_IMAGE, ModelDataUrl: 's3://berth-models/broken/model.tar.gz' },
      }),
    );
    await createConfig('broken-config', [{ variant: 'v', model: 'broken' }]);
    await clients.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'broken', EndpointConfigName: 'broken-config' }),
    );
    const broken = await waitForStatus('broken', (status) => status !== 'Creating');
    expect(broken.EndpointStatus).toBe('Failed');
    expect(broken.FailureReason).toBe(
      'The primary container for production variant v did not pass the ping health check. Please check CloudWatch logs for this endpoint.',
    );

    await createModel('elsewhere', '763104351884.dkr.ecr.us-west-2.amazonaws.com/mlflow-pyfunc:3.6.0');
    await createConfig('elsewhere-config', [{ variant: 'v', model: 'elsewhere' }]);
    await clients.sagemaker.send(
      new CreateEndpointCommand({ EndpointName: 'elsewhere', EndpointConfigName: 'elsewhere-config' }),
    );
    const unpulled = await waitForStatus('elsewhere', (status) => status !== 'Creating');
    expect(unpulled.FailureReason).toContain(
      "Failed to pull image '763104351884.dkr.ecr.us-west-2.amazonaws.com/mlflow-pyfunc:3.6.0'",
    );

    await clients.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'doomed' }));
    expect((await describeEndpoint('doomed')).EndpointStatus).toBe('Deleting');
    await until(async () =>
      (await errorOf(describeEndpoint('doomed'))).name === 'ValidationException' ? true : undefined,
    );
    expect(await errorOf(clients.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'doomed' })))).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Could not find endpoint'),
    });
  }, 60_000);

  it('UpdateEndpoint: a canary rolls back when its alarm goes to ALARM; the next one completes', async () => {
    await createModel('m1');
    await createModel('m2');
    await createConfig('c1', [{ variant: 'blue', model: 'm1' }]);
    await createConfig('c2', [{ variant: 'green', model: 'm2' }]);
    await clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'app', EndpointConfigName: 'c1' }));
    await waitForStatus('app', (status) => status === 'InService');
    await clients.cloudWatch.send(
      new PutMetricAlarmCommand({
        AlarmName: 'app-5xx',
        MetricName: 'Invocation5XXErrors',
        Namespace: 'AWS/SageMaker',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    const canary = {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'CANARY' as const,
          CanarySize: { Type: 'CAPACITY_PERCENT' as const, Value: 50 },
          WaitIntervalInSeconds: 30,
        },
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'app-5xx' }] },
    };
    await clients.sagemaker.send(
      new UpdateEndpointCommand({ EndpointName: 'app', EndpointConfigName: 'c2', DeploymentConfig: canary }),
    );
    const baking = await until(async () => {
      const description = await describeEndpoint('app');
      const status = description.PendingDeploymentSummary?.ProductionVariants?.[0]?.VariantStatus?.[0]?.Status;
      return status === 'Baking' ? description : undefined;
    });
    expect(baking).toMatchObject({ EndpointStatus: 'Updating', EndpointConfigName: 'c1' });
    expect(baking.PendingDeploymentSummary?.EndpointConfigName).toBe('c2');
    // Half the traffic reaches the canary while it bakes.
    const variants = new Set<string>();
    for (let index = 0; index < 4; index++) {
      const answer = await clients.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'app',
          Body: Buffer.from(IRIS_REQUEST),
          ContentType: 'application/json',
        }),
      );
      variants.add(answer.InvokedProductionVariant as string);
    }
    expect([...variants].sort()).toEqual(['blue', 'green']);
    await clients.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: 'app-5xx', StateValue: 'ALARM', StateReason: 'test' }),
    );
    const rolledBack = await waitForStatus('app', (status) => status === 'InService');
    expect(rolledBack.EndpointConfigName).toBe('c1');
    expect(rolledBack.FailureReason).toContain('app-5xx');
    expect(rolledBack.PendingDeploymentSummary).toBeUndefined();

    await clients.cloudWatch.send(
      new SetAlarmStateCommand({ AlarmName: 'app-5xx', StateValue: 'OK', StateReason: 'test' }),
    );
    const quick = {
      ...canary,
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          ...canary.BlueGreenUpdatePolicy.TrafficRoutingConfiguration,
          WaitIntervalInSeconds: 2,
        },
      },
    };
    await clients.sagemaker.send(
      new UpdateEndpointCommand({ EndpointName: 'app', EndpointConfigName: 'c2', DeploymentConfig: quick }),
    );
    expect((await describeEndpoint('app')).EndpointStatus).toBe('Updating');
    const done = await waitForStatus('app', (status) => status === 'InService');
    expect(done).toMatchObject({ EndpointConfigName: 'c2', LastDeploymentConfig: quick });
    expect(done.FailureReason).toBeUndefined();
    expect(done.ProductionVariants?.map((variant) => variant.VariantName)).toEqual(['green']);
    const after = await clients.runtime.send(
      new InvokeEndpointCommand({
        EndpointName: 'app',
        Body: Buffer.from(IRIS_REQUEST),
        ContentType: 'application/json',
      }),
    );
    expect(after.InvokedProductionVariant).toBe('green');
  }, 90_000);

  it('UpdateEndpointWeightsAndCapacities shifts traffic between variants; tags are listed and added', async () => {
    await createModel('m1');
    await createModel('m2');
    await createConfig('c', [
      { variant: 'a', model: 'm1', weight: 1 },
      { variant: 'b', model: 'm2', weight: 0 },
    ]);
    await clients.sagemaker.send(
      new CreateEndpointCommand({
        EndpointName: 'split',
        EndpointConfigName: 'c',
        Tags: [{ Key: 'team', Value: 'ml' }],
      }),
    );
    const ready = await waitForStatus('split', (status) => status === 'InService');
    expect(ready.ProductionVariants?.map((variant) => [variant.VariantName, variant.CurrentWeight])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
    await clients.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: 'split',
        DesiredWeightsAndCapacities: [
          { VariantName: 'a', DesiredWeight: 90 },
          { VariantName: 'b', DesiredWeight: 10, DesiredInstanceCount: 2 },
        ],
      }),
    );
    const updating = await describeEndpoint('split');
    expect(updating.EndpointStatus).toBe('Updating');
    expect(updating.ProductionVariants?.map((variant) => variant.DesiredWeight)).toEqual([90, 10]);
    const shifted = await waitForStatus('split', (status) => status === 'InService');
    expect(shifted.ProductionVariants?.map((variant) => [variant.CurrentWeight, variant.CurrentInstanceCount])).toEqual(
      [
        [90, 1],
        [10, 2],
      ],
    );
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let index = 0; index < 10; index++) {
      const answer = await clients.runtime.send(
        new InvokeEndpointCommand({
          EndpointName: 'split',
          Body: Buffer.from(IRIS_REQUEST),
          ContentType: 'application/json',
        }),
      );
      counts[answer.InvokedProductionVariant as string] = (counts[answer.InvokedProductionVariant as string] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 9, b: 1 });
    expect(
      await errorOf(
        clients.sagemaker.send(
          new UpdateEndpointWeightsAndCapacitiesCommand({
            EndpointName: 'split',
            DesiredWeightsAndCapacities: [{ VariantName: 'zzz', DesiredWeight: 1 }],
          }),
        ),
      ),
    ).toMatchObject({ name: 'ValidationException', message: expect.stringContaining('zzz') });

    const arn = ready.EndpointArn as string;
    await clients.sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: 'stage', Value: 'prod' }] }));
    const tags = await clients.sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
    expect(tags.Tags).toEqual([
      { Key: 'team', Value: 'ml' },
      { Key: 'stage', Value: 'prod' },
    ]);
  }, 60_000);

  it('InvokeEndpointWithResponseStream yields the container chunks as PayloadParts; a ModelStreamError is raised', async () => {
    await createModel('m');
    await createConfig('c', [{ variant: 'v', model: 'm' }]);
    await clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'stream', EndpointConfigName: 'c' }));
    await waitForStatus('stream', (status) => status === 'InService');
    const rows = Array.from({ length: 5 }, () => [5.1, 3.5, 1.4, 0.2]);
    const body = JSON.stringify({
      dataframe_split: { columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], data: rows },
    });
    const answer = await clients.runtime.send(
      new InvokeEndpointWithResponseStreamCommand({
        EndpointName: 'stream',
        Body: Buffer.from(body),
        ContentType: 'application/json',
        Accept: 'application/jsonlines',
        CustomAttributes: 'chunk_rows=2',
      }),
    );
    expect(answer.ContentType).toBe('application/jsonlines');
    expect(answer.InvokedProductionVariant).toBe('v');
    let text = '';
    let parts = 0;
    for await (const event of answer.Body ?? []) {
      if (event.PayloadPart?.Bytes) {
        parts++;
        text += Buffer.from(event.PayloadPart.Bytes).toString();
      }
    }
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { predictions: unknown[] });
    expect(lines.map((line) => line.predictions.length)).toEqual([2, 2, 1]);
    expect(parts).toBeGreaterThanOrEqual(1);

    sagemaker.runtime.injectStreamError({
      endpointName: 'stream',
      afterParts: 1,
      errorCode: 'ModelInvocationTimeExceeded',
      message: 'The model did not finish in time.',
    });
    const broken = await clients.runtime.send(
      new InvokeEndpointWithResponseStreamCommand({
        EndpointName: 'stream',
        Body: Buffer.from(body),
        ContentType: 'application/json',
        Accept: 'application/jsonlines',
        CustomAttributes: 'chunk_rows=1',
      }),
    );
    const received: string[] = [];
    const failure = await (async () => {
      try {
        for await (const event of broken.Body ?? []) {
          if (event.PayloadPart?.Bytes) received.push(Buffer.from(event.PayloadPart.Bytes).toString());
        }
      } catch (error) {
        return error as { name: string; ErrorCode?: string; message: string };
      }
      return undefined;
    })();
    expect(received.length).toBe(1);
    expect(failure).toMatchObject({ name: 'ModelStreamError', ErrorCode: 'ModelInvocationTimeExceeded' });
  }, 60_000);

  it('InvokeEndpointAsync reads the input from S3 and writes the answer to the output path', async () => {
    await createModel('m');
    await createConfig('c', [{ variant: 'v', model: 'm' }], {
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://berth-models/async-out/' } },
    });
    await clients.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'later', EndpointConfigName: 'c' }));
    const ready = await waitForStatus('later', (status) => status === 'InService');
    expect(ready.AsyncInferenceConfig).toEqual({ OutputConfig: { S3OutputPath: 's3://berth-models/async-out/' } });
    await clients.s3.send(
      new PutObjectCommand({ Bucket: 'berth-models', Key: 'async-in/request.json', Body: IRIS_REQUEST }),
    );
    const accepted = await clients.runtime.send(
      new InvokeEndpointAsyncCommand({
        EndpointName: 'later',
        InputLocation: 's3://berth-models/async-in/request.json',
        ContentType: 'application/json',
        InferenceId: 'job-1',
      }),
    );
    expect(accepted).toMatchObject({
      InferenceId: 'job-1',
      OutputLocation: 's3://berth-models/async-out/job-1.out',
      FailureLocation: 's3://berth-models/async-out/job-1-error.out',
    });
    const output = await until(async () => {
      const object = await clients.s3.send(
        new GetObjectCommand({ Bucket: 'berth-models', Key: 'async-out/job-1.out' }),
      );
      return object.Body?.transformToString();
    });
    expect(JSON.parse(output).predictions).toHaveLength(3);
    expect(sagemaker.control.backgroundErrors).toEqual([]);
  }, 60_000);
});
