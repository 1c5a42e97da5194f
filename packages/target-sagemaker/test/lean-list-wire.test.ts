/**
 * `berth list`'s lean path (SigV4-signed ListEndpoints over node:http, no SageMaker SDK client) on the
 * wire against the loopback SageMaker server, held against the SDK path's answers page for page.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../src/aws-clients.js';
import { listEndpointSummaries, summaryView } from '../src/deployment-view.js';
import { leanListEndpoints, leanTarget } from '../src/lean-list.js';
import { SageMakerDeploymentClient } from '../src/sagemaker-deployment-client.js';
import {
  type LoopbackSageMaker,
  startLoopbackSageMaker,
} from './support/loopback-sagemaker/loopback-sagemaker-server.js';

const ROLE = 'arn:aws:iam::123456789012:role/berth-lean';
let sagemaker: LoopbackSageMaker;
const saved = { ...process.env };

beforeAll(async () => {
  sagemaker = await startLoopbackSageMaker({ runContainers: false, createLatencyMs: 0 });
  await sagemaker.control.handle('CreateModel', {
    ModelName: 'm',
    ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: 'x/berth-scoring-server:0.1.0' },
  });
  await sagemaker.control.handle('CreateEndpointConfig', {
    EndpointConfigName: 'c',
    ProductionVariants: [{ VariantName: 'v', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
  });
  for (const name of ['lean-a', 'lean-b', 'lean-c', 'lean-d', 'lean-e']) {
    await sagemaker.control.handle('CreateEndpoint', { EndpointName: name, EndpointConfigName: 'c' });
  }
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-west-2',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.url,
  });
  delete process.env.AWS_PROFILE;
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await sagemaker?.close();
});

describe('lean ListEndpoints on the wire', () => {
  it('pages through every endpoint and answers as the SDK path does', async () => {
    const target = await leanTarget('us-west-2');
    expect(target?.endpoint.href).toBe(`${sagemaker.url}/`);
    sagemaker.calls.length = 0;
    const lean = await leanListEndpoints('us-west-2', target as NonNullable<typeof target>, { pageSize: 2 });
    const pages = sagemaker.calls.filter((call) => call.operation === 'ListEndpoints');
    expect(pages.map((call) => call.input.MaxResults)).toEqual([2, 2, 2]);
    expect(pages[1]?.input.NextToken).toEqual(expect.any(String));

    const clients = new AwsClients('us-west-2');
    try {
      const sdk = await listEndpointSummaries(clients);
      expect(lean.map((summary) => summaryView('us-west-2', summary))).toEqual(
        sdk.map((summary) => summaryView('us-west-2', summary)),
      );
      expect(lean.map((summary) => summary.EndpointName)).toEqual(['lean-a', 'lean-b', 'lean-c', 'lean-d', 'lean-e']);
    } finally {
      await clients.destroy();
    }
  });

  it('listDeployments takes the lean path with static credentials, and the SDK with a role to assume', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    try {
      const listed = await client.listDeployments();
      expect(listed.map((item) => item.name)).toEqual(['lean-a', 'lean-b', 'lean-c', 'lean-d', 'lean-e']);
      for (const item of listed) {
        expect(item).toMatchObject({ state: 'InService', region: 'us-west-2' });
        expect(item.url).toContain(`/endpoints/${item.name}/invocations`);
        expect(item.arn).toMatch(/^arn:aws:sagemaker:us-west-2:\d{12}:endpoint\//);
      }
    } finally {
      await client.close();
    }
  });

  it("gives AWS's error as the SDK path does (a refused page, an unreachable endpoint)", async () => {
    const target = await leanTarget('us-west-2');
    const refused = await leanListEndpoints('us-west-2', target as NonNullable<typeof target>, { pageSize: 101 }).then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );
    const clients = new AwsClients('us-west-2');
    const { client, sdk } = await clients.sagemaker();
    const fromSdk = await client.send(new sdk.ListEndpointsCommand({ MaxResults: 101 })).then(
      () => undefined,
      (error: unknown) => error as { name: string },
    );
    await clients.destroy();
    expect(refused?.code).toBe('INVALID_PARAMETER_VALUE');
    expect(refused?.message).toMatch(new RegExp(`^Could not list the SageMaker endpoints: ${fromSdk?.name}: `));

    const closed = await leanListEndpoints(
      'us-west-2',
      { credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, endpoint: new URL('http://127.0.0.1:9') },
      { maxAttempts: 1 },
    ).then(
      () => undefined,
      (error: unknown) => error as { code: string; suggestions: string[] },
    );
    expect(closed?.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(closed?.suggestions[0]).toContain('AWS could not be reached');
  });

  it('the built ./list-deployments export (for bin/berth.cjs) lists what the client lists, and steps aside where only the SDK can', async () => {
    // The CommonJS bundle the CLI requires, as published.
    const bundle = createRequire(import.meta.url)('@berth/target-sagemaker/list-deployments') as {
      listDeployments(targetUri: string): Promise<unknown[] | undefined>;
    };
    const client = new SageMakerDeploymentClient('sagemaker');
    try {
      expect(await bundle.listDeployments('sagemaker')).toEqual(await client.listDeployments());
    } finally {
      await client.close();
    }
    expect(await bundle.listDeployments('sagemaker:/us-west-2')).toHaveLength(5);
    // A role in the URI is assumed through STS: the SDK's job.
    expect(await bundle.listDeployments(`sagemaker:/us-west-2/${ROLE}`)).toBeUndefined();
    // A named profile with SSO (or any credentials only the SDK resolves): the full client answers.
    process.env.AWS_PROFILE = 'sso-user';
    try {
      expect(await bundle.listDeployments('sagemaker')).toBeUndefined();
    } finally {
      delete process.env.AWS_PROFILE;
    }
    // An AWS error rejects (the CLI then runs the full client, which reports it).
    process.env.AWS_ENDPOINT_URL_SAGEMAKER = 'http://127.0.0.1:9';
    process.env.AWS_MAX_ATTEMPTS = '1';
    try {
      await expect(bundle.listDeployments('sagemaker')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    } finally {
      process.env.AWS_ENDPOINT_URL_SAGEMAKER = sagemaker.url;
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });
});
