import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CopyObjectCommand } from '@aws-sdk/client-s3';
import { UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { BerthError } from '@berth/core';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, type FakeAws, fakeAws } from './fake-aws.js';
import { SageMakerDeploymentClient } from './sagemaker-deployment-client.js';

const IRIS = fileURLToPath(new URL('../../../examples/models/iris', import.meta.url));
const BUCKET = `mlflow-sagemaker-us-west-2-${ACCOUNT}`;
let aws: FakeAws;

beforeEach(() => {
  vi.stubEnv('BERTH_SAGEMAKER_POLL_SECONDS', '0.001');
  vi.stubEnv('AWS_REGION', '');
  vi.stubEnv('AWS_DEFAULT_REGION', '');
  vi.stubEnv('AWS_CONFIG_FILE', path.join(os.tmpdir(), 'berth-no-aws-config'));
  vi.stubEnv('BERTH_SAGEMAKER_IMAGE_URL', '');
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

async function twoDeployments(client: SageMakerDeploymentClient) {
  const blue = await client.createDeployment('blue', IRIS, { config: { instance_count: 2 } });
  const green = await client.createDeployment('green', IRIS, { config: { instance_type: 'ml.c5.large' } });
  return { blue, green };
}

describe('createEndpoint', () => {
  it('composes an endpoint from deployments: one variant each, named after it, on a copy of its model', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    const { blue, green } = await twoDeployments(client);
    const endpoint = await client.createEndpoint('shop', { traffic: '{"blue": 90, "green": 10}' });

    expect(endpoint).toMatchObject({
      name: 'shop',
      state: 'InService',
      url: 'https://runtime.sagemaker.us-west-2.amazonaws.com/endpoints/shop/invocations',
      traffic: { blue: 90, green: 10 },
    });
    expect(
      endpoint.variants.map((variant) => [variant.name, variant.weight, variant.instanceType, variant.instanceCount]),
    ).toEqual([
      ['blue', 90, 'ml.m4.xlarge', 2],
      ['green', 10, 'ml.c5.large', 1],
    ]);
    // Its models are copies: deleting the deployments leaves the endpoint's artifacts in place.
    const copies = endpoint.variants.map((variant) => variant.modelName as string);
    expect(copies.every((name) => /^shop-model-[0-9a-f]{20}$/.test(name))).toBe(true);
    expect(aws.s3.stub).toHaveReceivedCommandWith(CopyObjectCommand, {
      Bucket: BUCKET,
      Key: `${copies[0]}/model.tar.gz`,
      CopySource: `${BUCKET}/${blue.modelName}/model.tar.gz`,
      Tagging: 'SageMaker=true',
    });
    expect(aws.sagemaker.models.get(copies[1] as string)?.PrimaryContainer?.Image).toBe(green.image);
    await client.deleteDeployment('blue');
    await client.deleteDeployment('green');
    for (const copy of copies) expect(aws.s3.objects.has(`${BUCKET}/${copy}/model.tar.gz`)).toBe(true);
  });

  it('needs traffic naming existing deployments, and a free name', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await twoDeployments(client);
    const none = await rejection(client.createEndpoint('shop', {}));
    expect(none.message).toContain('create-endpoint needs the deployments to route to');
    const missing = await rejection(client.createEndpoint('shop', { traffic: { blue: 1, purple: 1 } }));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toContain("There is no deployment 'purple'");
    const taken = await rejection(client.createEndpoint('blue', { traffic: { green: 1 } }));
    expect(taken.code).toBe('RESOURCE_ALREADY_EXISTS');
    const zero = await rejection(client.createEndpoint('shop', { traffic: { blue: 0 } }));
    expect(zero.message).toContain('at least one weight must be above 0');
  });
});

describe('updateEndpoint', () => {
  it('moves weights with UpdateEndpointWeightsAndCapacities; variants left out get 0', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await twoDeployments(client);
    await client.createEndpoint('shop', { traffic: { blue: 90, green: 10 } });
    const updated = await client.updateEndpoint('shop', { traffic: '{"green": 100}', capacity: '{"green": 3}' });
    expect(aws.sagemaker.stub).toHaveReceivedCommandWith(UpdateEndpointWeightsAndCapacitiesCommand, {
      EndpointName: 'shop',
      DesiredWeightsAndCapacities: [
        { VariantName: 'blue', DesiredWeight: 0 },
        { VariantName: 'green', DesiredWeight: 100, DesiredInstanceCount: 3 },
      ],
    });
    expect(updated.traffic).toEqual({ blue: 0, green: 100 });
    expect(updated.variants.find((variant) => variant.name === 'green')?.instanceCount).toBe(3);
    expect(updated.state).toBe('InService');
  });

  it('shifts traffic between the variants of a deployment updated in add mode', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    const first = await client.createDeployment('iris', IRIS);
    await client.updateDeployment('iris', { modelUri: IRIS, config: { mode: 'add', variant_name: 'candidate' } });
    const endpoint = await client.updateEndpoint('iris', { traffic: { [first.modelName]: 80, candidate: 20 } });
    expect(endpoint.traffic).toEqual({ [first.modelName]: 80, candidate: 20 });
    expect((await client.getEndpoint('iris')).traffic).toEqual({ [first.modelName]: 80, candidate: 20 });
  });

  it('names the variants (with a did-you-mean) when traffic names one the endpoint lacks', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await twoDeployments(client);
    await client.createEndpoint('shop', { traffic: { blue: 1, green: 1 } });
    const error = await rejection(client.updateEndpoint('shop', { traffic: { gren: 1 } }));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain("no variant 'gren' (did you mean 'green'?)");
    expect(error.message).toContain('its variants are blue, green');
    expect(aws.sagemaker.stub).not.toHaveReceivedCommand(UpdateEndpointWeightsAndCapacitiesCommand);
  });
});

describe('getEndpoint, listEndpoints, deleteEndpoint', () => {
  it('lists every endpoint with its variants, weights and instance counts', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await twoDeployments(client);
    await client.createEndpoint('shop', { traffic: { blue: 3, green: 1 } });
    const endpoints = await client.listEndpoints();
    expect(endpoints.map((endpoint) => [endpoint.name, endpoint.traffic])).toEqual([
      ['blue', { [(await client.getDeployment('blue')).variants?.[0]?.name as string]: 1 }],
      ['green', { [(await client.getDeployment('green')).variants?.[0]?.name as string]: 1 }],
      ['shop', { blue: 3, green: 1 }],
    ]);
    const missing = await rejection(client.getEndpoint('nope'));
    expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('deletes a composed endpoint with its model copies, refuses a deployment, and is idempotent', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await twoDeployments(client);
    const shop = await client.createEndpoint('shop', { traffic: { blue: 1, green: 1 } });
    const refused = await rejection(client.deleteEndpoint('blue'));
    expect(refused.message).toContain("'blue' is a deployment");
    expect(refused.suggestions[0]).toBe('Delete the deployment: berth delete -t sagemaker --name blue');
    await client.deleteEndpoint('shop');
    expect(aws.sagemaker.endpoints.has('shop')).toBe(false);
    for (const variant of shop.variants) {
      expect(aws.sagemaker.models.has(variant.modelName as string)).toBe(false);
      expect(aws.s3.objects.has(`${BUCKET}/${variant.modelName}/model.tar.gz`)).toBe(false);
    }
    expect(aws.sagemaker.endpoints.has('blue')).toBe(true);
    await client.deleteEndpoint('shop');
  });

  it('lists the deployments behind an endpoint as its variants', async () => {
    const client = new SageMakerDeploymentClient('sagemaker');
    await twoDeployments(client);
    await client.createEndpoint('shop', { traffic: { blue: 1, green: 3 } });
    const members = await client.listDeployments({ endpoint: 'shop' });
    expect(members.map((member) => [member.name, member.weight, member.endpoint])).toEqual([
      ['blue', 1, 'shop'],
      ['green', 3, 'shop'],
    ]);
  });
});
