import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  InvokeEndpointAsyncCommand,
  InvokeEndpointCommand,
  type InvokeEndpointCommandInput,
  InvokeEndpointWithResponseStreamCommand,
  type InvokeEndpointWithResponseStreamCommandInput,
} from '@aws-sdk/client-sagemaker-runtime';
import { BerthError } from '@berth/core';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeAws, fakeAws } from './fake-aws.js';
import { encodeInput } from './invocation.js';
import { SageMakerDeploymentClient } from './sagemaker-deployment-client.js';

let aws: FakeAws;
const bytes = (text: string) => new TextEncoder().encode(text) as never;
const sentBody = (input: { Body?: unknown }) => JSON.parse(new TextDecoder().decode(input.Body as Uint8Array));

beforeEach(() => {
  vi.stubEnv('BERTH_SAGEMAKER_POLL_SECONDS', '0.001');
  vi.stubEnv('AWS_REGION', 'us-west-2');
  aws = fakeAws();
});
afterEach(() => {
  aws.restore();
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

describe('encodeInput (MLflow dump_input_data, every Berth shape)', () => {
  it('sends scoring-protocol bodies as they are, with params added', () => {
    const split = { dataframe_split: { columns: ['a', 'b'], data: [[1, 2]] } };
    expect(encodeInput(split, undefined)).toEqual({ body: JSON.stringify(split), contentType: 'application/json' });
    expect(JSON.parse(encodeInput({ inputs: { x: [1] } }, { temperature: 0.5 }).body)).toEqual({
      inputs: { x: [1] },
      params: { temperature: 0.5 },
    });
  });

  it('wraps lists, typed arrays and dicts of columns as instances (MLflow dict path, fixed)', () => {
    expect(JSON.parse(encodeInput([0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as never, undefined).body)).toEqual({
      instances: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    });
    expect(JSON.parse(encodeInput(new Float32Array([0.5, 1.5]) as never, undefined).body)).toEqual({
      instances: [0.5, 1.5],
    });
    expect(JSON.parse(encodeInput({ a: [1, 2], b: ['x', 'y'] }, undefined).body)).toEqual({
      instances: { a: [1, 2], b: ['x', 'y'] },
    });
    expect(JSON.parse(encodeInput({ inputs: { t: new Int32Array([3, 4]) } }, undefined).body)).toEqual({
      inputs: { t: [3, 4] },
    });
  });

  it('sends CSV as text/csv and a string verbatim', () => {
    expect(encodeInput({ csv: 'a,b\n1,2\n' }, undefined)).toEqual({ body: 'a,b\n1,2\n', contentType: 'text/csv' });
    expect(encodeInput('{"instances": [1]}' as never, undefined)).toEqual({
      body: '{"instances": [1]}',
      contentType: 'application/json',
    });
  });

  it("refuses params that are not a dictionary, with MLflow's message", () => {
    expect(() => encodeInput({ instances: [1] }, [1] as never)).toThrow(
      "Params must be a dictionary. Got type 'list'.",
    );
    expect(() => encodeInput({ csv: 'a\n1' }, { x: 1 })).toThrow('params cannot be sent with CSV input');
  });
});

describe('predict', () => {
  it('calls InvokeEndpoint with the JSON body and returns a PredictionsResponse', async () => {
    aws.runtime.on(InvokeEndpointCommand).resolves({
      Body: bytes('{"predictions": [{"0": 1}, {"0": 2}, {"0": 3}]}'),
      ContentType: 'application/json',
    });
    const client = new SageMakerDeploymentClient('sagemaker');
    const frame = { dataframe_split: { columns: ['x'], data: [[1], [2], [3]] } };
    const response = await client.predict('iris', frame);
    const input = aws.runtime.commandCalls(InvokeEndpointCommand)[0]?.args[0].input as InvokeEndpointCommandInput;
    expect(input).toMatchObject({ EndpointName: 'iris', ContentType: 'application/json', Accept: 'application/json' });
    expect(sentBody(input)).toEqual(frame);
    expect(response.getPredictions('columns')).toEqual({ '0': [1, 2, 3] });
  });

  it('targets a variant with --name and --endpoint together', async () => {
    aws.runtime.on(InvokeEndpointCommand).resolves({ Body: bytes('{"predictions": [1]}') });
    await new SageMakerDeploymentClient('sagemaker').predict('blue', { instances: [1] }, { endpoint: 'shop' });
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, {
      EndpointName: 'shop',
      TargetVariant: 'blue',
    });
  });

  it("turns the container's MLflow error into a BerthError with its code and message", async () => {
    aws.runtime.on(InvokeEndpointCommand).rejects(
      Object.assign(new Error('Received client error (400) from primary with message ...'), {
        name: 'ModelError',
        OriginalStatusCode: 400,
        OriginalMessage:
          '{"error_code": "BAD_REQUEST", "message": "Incompatible input types for column sepal_length."}',
        LogStreamArn: 'arn:aws:logs:us-west-2:123456789012:log-group:/aws/sagemaker/Endpoints/iris',
      }),
    );
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').predict('iris', { instances: [1] }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain('There was an error while getting model prediction');
    expect(error.message).toContain('Incompatible input types for column sepal_length.');
    expect(error.details).toMatchObject({ modelStatusCode: 400 });
    expect(error.suggestions[0]).toContain('/aws/sagemaker/Endpoints/iris');
  });

  it('says so when the endpoint does not exist', async () => {
    aws.runtime
      .on(InvokeEndpointCommand)
      .rejects(
        Object.assign(new Error('Endpoint nope of account 123456789012 not found.'), { name: 'ValidationError' }),
      );
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').predict('nope', { instances: [1] }));
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('answers through InvokeEndpointAsync and S3 on an asynchronous-inference endpoint', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await createAsyncEndpoint();
    aws.runtime.on(InvokeEndpointCommand).rejects(
      Object.assign(new Error('Endpoint iris-async is an asynchronous endpoint; use InvokeEndpointAsync.'), {
        name: 'ValidationError',
      }),
    );
    aws.runtime.on(InvokeEndpointAsyncCommand).callsFake(({ InferenceId }) => {
      // SageMaker writes the answer a little later.
      setTimeout(() => {
        aws.s3.objects.set(`out/async/${InferenceId}.out`, { body: bytes('{"predictions": [7]}') });
      }, 20);
      return {
        InferenceId,
        OutputLocation: `s3://out/async/${InferenceId}.out`,
        FailureLocation: `s3://out/failures/${InferenceId}-error.out`,
      };
    });
    const response = await client.predict('iris-async', { instances: [1] });
    expect(response.predictions).toEqual([7]);
    const put = aws.s3.stub.commandCalls(PutObjectCommand).at(-1)?.args[0].input;
    expect(put?.Key).toMatch(/^async\/berth-async-inputs\/[0-9a-f-]{36}\.json$/);
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointAsyncCommand, {
      EndpointName: 'iris-async',
      InputLocation: `s3://out/${put?.Key}`,
      ContentType: 'application/json',
    });
    // The input object is removed once answered.
    expect(aws.s3.stub).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: 'out', Key: put?.Key });
  });

  it("reports an asynchronous failure from SageMaker's failure location, and times out", async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await createAsyncEndpoint();
    aws.runtime
      .on(InvokeEndpointCommand)
      .rejects(Object.assign(new Error('async endpoint'), { name: 'ValidationError' }));
    aws.runtime.on(InvokeEndpointAsyncCommand).callsFakeOnce(({ InferenceId }) => {
      aws.s3.objects.set(`out/failures/${InferenceId}-error.out`, {
        body: bytes('{"error_code": "BAD_REQUEST", "message": "no such column"}'),
      });
      return {
        OutputLocation: `s3://out/async/${InferenceId}.out`,
        FailureLocation: `s3://out/failures/${InferenceId}-error.out`,
      };
    });
    const failed = await rejection(client.predict('iris-async', { instances: [1] }));
    expect(failed.code).toBe('BAD_REQUEST');
    expect(failed.message).toContain('no such column');

    aws.runtime.on(InvokeEndpointAsyncCommand).resolves({ OutputLocation: 's3://out/async/never.out' });
    const late = await rejection(client.predict('iris-async', { instances: [1] }, { asyncTimeoutSeconds: 0.05 }));
    expect(late.code).toBe('DEADLINE_EXCEEDED');
    expect(late.message).toContain('s3://out/async/never.out');
  });
});

async function createAsyncEndpoint(): Promise<void> {
  aws.sagemaker.models.set('m', { ModelName: 'm' });
  aws.sagemaker.configs.set('c', {
    EndpointConfigName: 'c',
    ProductionVariants: [{ VariantName: 'm', ModelName: 'm' }],
    AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://out/async' } },
  });
  const { CreateEndpointCommand, SageMakerClient } = await import('@aws-sdk/client-sagemaker');
  const raw = new SageMakerClient({ region: 'us-west-2' });
  await raw.send(new CreateEndpointCommand({ EndpointName: 'iris-async', EndpointConfigName: 'c' }));
  raw.destroy();
  aws.sagemaker.settle();
}

/** An event stream as the SDK yields it. */
async function* events(...items: Record<string, unknown>[]): AsyncGenerator<Record<string, unknown>> {
  for (const item of items) {
    // One event per turn of the event loop, as parts arrive from the network.
    await new Promise((resolve) => setImmediate(resolve));
    yield item;
  }
}

describe('predictStream', () => {
  it('yields chunks as their PayloadParts arrive, reassembling lines split across parts', async () => {
    aws.runtime.on(InvokeEndpointWithResponseStreamCommand).resolves({
      Body: events(
        { PayloadPart: { Bytes: bytes('{"predictions": [1]}\n{"predic') } },
        { PayloadPart: { Bytes: bytes('tions": [2]}\n') } },
        { PayloadPart: { Bytes: bytes('{"predictions": [3]}') } },
      ) as never,
    });
    const seen: unknown[] = [];
    for await (const chunk of new SageMakerDeploymentClient('sagemaker').predictStream(
      'iris',
      { instances: [1, 2, 3] },
      { chunkRows: 1 },
    )) {
      seen.push(chunk);
    }
    expect(seen).toEqual([{ predictions: [1] }, { predictions: [2] }, { predictions: [3] }]);
    const input = aws.runtime.commandCalls(InvokeEndpointWithResponseStreamCommand)[0]?.args[0]
      .input as InvokeEndpointWithResponseStreamCommandInput;
    expect(input).toMatchObject({
      EndpointName: 'iris',
      Accept: 'application/jsonlines',
      CustomAttributes: 'chunk_rows=1',
    });
  });

  it("turns a ModelStreamError event and the model's error line into BerthErrors, after the chunks before them", async () => {
    aws.runtime.on(InvokeEndpointWithResponseStreamCommand).resolves({
      Body: events(
        { PayloadPart: { Bytes: bytes('{"predictions": [1]}\n') } },
        { ModelStreamError: { Message: 'the model crashed', ErrorCode: 'ModelError' } },
      ) as never,
    });
    const client = new SageMakerDeploymentClient('sagemaker');
    const seen: unknown[] = [];
    const failure = await rejection(
      (async () => {
        for await (const chunk of client.predictStream('iris', { instances: [1] })) seen.push(chunk);
      })(),
    );
    expect(seen).toEqual([{ predictions: [1] }]);
    expect(failure.message).toContain('the model crashed');

    aws.runtime.on(InvokeEndpointWithResponseStreamCommand).resolves({
      Body: events({
        PayloadPart: {
          Bytes: bytes('{"predictions": [1]}\n{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad row 2"}\n'),
        },
      }) as never,
    });
    const line = await rejection(
      (async () => {
        for await (const _ of client.predictStream('iris', { instances: [1, 2] })) {
          // drain
        }
      })(),
    );
    expect(line.code).toBe('INVALID_PARAMETER_VALUE');
    expect(line.message).toContain('bad row 2');
  });
});

describe('explain', () => {
  it('is NOT_IMPLEMENTED with the reason when the endpoint has no Clarify explainer', async () => {
    aws.sagemaker.models.set('m', { ModelName: 'm' });
    aws.sagemaker.configs.set('c', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'm', ModelName: 'm' }],
    });
    const { CreateEndpointCommand, SageMakerClient } = await import('@aws-sdk/client-sagemaker');
    const raw = new SageMakerClient({ region: 'us-west-2' });
    await raw.send(new CreateEndpointCommand({ EndpointName: 'iris', EndpointConfigName: 'c' }));
    raw.destroy();
    const error = await rejection(new SageMakerDeploymentClient('sagemaker').explain('iris', { instances: [1] }));
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain('has no SageMaker Clarify explainer config');
    expect(error.suggestions[0]).toContain('explainer_config');
    expect(aws.runtime.calls()).toHaveLength(0);
  });

  it('asks SageMaker for explanations when the endpoint has an explainer config', async () => {
    aws.sagemaker.models.set('m', { ModelName: 'm' });
    aws.sagemaker.configs.set('c', {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'm', ModelName: 'm' }],
      ExplainerConfig: { ClarifyExplainerConfig: { ShapConfig: { ShapBaselineConfig: { ShapBaseline: '1,2' } } } },
    });
    const { CreateEndpointCommand, SageMakerClient } = await import('@aws-sdk/client-sagemaker');
    const raw = new SageMakerClient({ region: 'us-west-2' });
    await raw.send(new CreateEndpointCommand({ EndpointName: 'iris', EndpointConfigName: 'c' }));
    raw.destroy();
    const answer = { version: '1.0', explanations: { kernel_shap: [[{ attributions: [{ attribution: [0.3] }] }]] } };
    aws.runtime.on(InvokeEndpointCommand).resolves({ Body: bytes(JSON.stringify(answer)) });
    expect(await new SageMakerDeploymentClient('sagemaker').explain('iris', { instances: [[1, 2]] })).toEqual(answer);
    expect(aws.runtime).toHaveReceivedCommandWith(InvokeEndpointCommand, {
      EndpointName: 'iris',
      EnableExplanations: '`true`',
    });
  });
});
