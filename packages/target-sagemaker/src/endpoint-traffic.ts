import type { DescribeModelCommandOutput, ProductionVariant } from '@aws-sdk/client-sagemaker';
import { BerthError, type OperationOptions } from '@berth/core';
import { closestMatch } from '@berth/core/internal';
import type { AwsClients } from './aws-clients.js';
import { awsError } from './aws-errors.js';
import { deleteDeploymentFlow } from './delete-flow.js';
import { describeDeployment, endpointView, type SageMakerEndpoint } from './deployment-view.js';
import { parseS3Url, SAGEMAKER_OBJECT_TAGGING } from './model-upload.js';
import { awaitCompletion, type OperationStatus, operationError } from './operation-waiter.js';
import { endpointConfigName, modelName as uniqueModelName } from './resource-names.js';
import { ENDPOINT_KIND_TAG } from './resource-tags.js';
import { APP_NAME_TAG, DEFAULT_TIMEOUT_SECONDS, type SageMakerConfig } from './sagemaker-config.js';
import {
  describeEndpoint,
  describeEndpointConfig,
  type EndpointDescription,
  endpointTags,
} from './sagemaker-resources.js';

/**
 * Berth endpoints on SageMaker are endpoints seen through their production variants: the traffic
 * split is the variants' weights. `createEndpoint` composes a new SageMaker endpoint from existing
 * deployments (one variant per deployment, named after it, weighted as asked); `updateEndpoint`
 * moves weights and instance counts with UpdateEndpointWeightsAndCapacities (no new fleet); get and
 * list show every endpoint's variants, weights and instance counts.
 *
 * A composed endpoint owns copies of its deployments' models (CopyObject of model.tar.gz, then
 * CreateModel), so replacing or deleting a deployment never pulls an artifact from under it.
 */

export async function createEndpointFromDeployments(
  clients: AwsClients,
  name: string,
  config: SageMakerConfig,
  options: OperationOptions,
): Promise<SageMakerEndpoint> {
  const traffic = config.traffic;
  if (traffic === undefined) {
    throw BerthError.invalidParameterValue(
      `create-endpoint needs the deployments to route to and their weights: -C traffic='{"<deployment>":90,"<other>":10}'.`,
    );
  }
  if (config.capacity !== undefined) {
    throw BerthError.invalidParameterValue(
      "capacity applies to update-endpoint; a new endpoint starts each variant with its deployment's instance count.",
    );
  }
  if ((await describeEndpoint(clients, name)) !== undefined) {
    throw new BerthError(`A SageMaker endpoint named '${name}' already exists in ${clients.region}.`, {
      code: 'RESOURCE_ALREADY_EXISTS',
      suggestions: [`Change its weights with berth update-endpoint -t sagemaker --endpoint ${name} -C traffic=…`],
    });
  }
  const sources = await Promise.all(Object.keys(traffic).map((deployment) => sourceVariant(clients, deployment)));
  const variants: ProductionVariant[] = [];
  for (const source of sources) {
    const copy = await copyModel(clients, name, source);
    options.onProgress?.({ message: `Copied the model of '${source.deployment}' as ${copy}` });
    variants.push({
      ...source.variant,
      VariantName: source.deployment,
      ModelName: copy,
      InitialVariantWeight: traffic[source.deployment] as number,
    });
  }
  const configName = endpointConfigName(name);
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.CreateEndpointConfigCommand({
        EndpointConfigName: configName,
        ProductionVariants: variants,
        Tags: [{ Key: APP_NAME_TAG, Value: name }],
      }),
    );
    await client.send(
      new sdk.CreateEndpointCommand({
        EndpointName: name,
        EndpointConfigName: configName,
        Tags: [
          { Key: APP_NAME_TAG, Value: name },
          { Key: ENDPOINT_KIND_TAG, Value: 'endpoint' },
        ],
      }),
    );
  } catch (error) {
    throw awsError(error, `Could not create the SageMaker endpoint '${name}'`);
  }
  if (config.synchronous) {
    await waitInService(clients, name, config, options, `Creating endpoint '${name}'`, 'creating');
  }
  const endpoint = await describeEndpoint(clients, name);
  if (endpoint === undefined) throw new BerthError(`The endpoint '${name}' disappeared after its creation.`);
  return endpointView(await describeDeployment(clients, endpoint));
}

interface SourceVariant {
  deployment: string;
  variant: Omit<ProductionVariant, 'VariantName'>;
  model: {
    image: string;
    modelDataUrl: string;
    environment: Record<string, string>;
    executionRoleArn: string;
    vpcConfig?: { SecurityGroupIds: string[]; Subnets: string[] };
  };
}

/** A deployment's serving variant: the one with the most traffic, with its model's container. */
async function sourceVariant(clients: AwsClients, deployment: string): Promise<SourceVariant> {
  const endpoint = await describeEndpoint(clients, deployment);
  if (endpoint === undefined) {
    throw new BerthError(
      `There is no deployment '${deployment}' (SageMaker endpoint) in ${clients.region} to route to.`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: ['`berth list -t sagemaker` shows the deployments.'],
      },
    );
  }
  const config = endpoint.EndpointConfigName
    ? await describeEndpointConfig(clients, endpoint.EndpointConfigName)
    : undefined;
  const weightOf = (variant: ProductionVariant) =>
    endpoint.ProductionVariants?.find((live) => live.VariantName === variant.VariantName)?.CurrentWeight ??
    variant.InitialVariantWeight ??
    0;
  const variant = [...(config?.ProductionVariants ?? [])].sort((a, b) => weightOf(b) - weightOf(a))[0];
  if (!variant?.ModelName) {
    throw new BerthError(`The deployment '${deployment}' has no production variant with a model.`, {
      code: 'INVALID_STATE',
    });
  }
  const { client, sdk } = await clients.sagemaker();
  let model: DescribeModelCommandOutput;
  try {
    model = await client.send(new sdk.DescribeModelCommand({ ModelName: variant.ModelName }));
  } catch (error) {
    throw awsError(error, `Could not describe the model ${variant.ModelName} of '${deployment}'`);
  }
  const container = model.PrimaryContainer;
  if (!container?.Image || !container.ModelDataUrl || !model.ExecutionRoleArn) {
    throw new BerthError(
      `The model ${variant.ModelName} of '${deployment}' is not a single-container model Berth can copy.`,
      { code: 'INVALID_STATE' },
    );
  }
  const { VariantName: _, ModelName: __, InitialVariantWeight: ___, ...shape } = variant;
  return {
    deployment,
    variant: shape,
    model: {
      image: container.Image,
      modelDataUrl: container.ModelDataUrl,
      environment: container.Environment ?? {},
      executionRoleArn: model.ExecutionRoleArn,
      ...(model.VpcConfig?.SecurityGroupIds && model.VpcConfig.Subnets
        ? { vpcConfig: { SecurityGroupIds: model.VpcConfig.SecurityGroupIds, Subnets: model.VpcConfig.Subnets } }
        : {}),
    },
  };
}

async function copyModel(clients: AwsClients, endpoint: string, source: SourceVariant): Promise<string> {
  const name = uniqueModelName(endpoint);
  const from = parseS3Url(source.model.modelDataUrl);
  if (from === undefined) {
    throw new BerthError(`Cannot copy the model artifact ${source.model.modelDataUrl}: not an S3 location.`, {
      code: 'INVALID_STATE',
    });
  }
  const key = `${name}/model.tar.gz`;
  const s3 = await clients.s3();
  try {
    await s3.client.send(
      new s3.sdk.CopyObjectCommand({
        Bucket: from.bucket,
        Key: key,
        CopySource: `${from.bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`,
        TaggingDirective: 'REPLACE',
        Tagging: SAGEMAKER_OBJECT_TAGGING,
      }),
    );
  } catch (error) {
    throw awsError(error, `Could not copy ${source.model.modelDataUrl} for the endpoint '${endpoint}'`);
  }
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.CreateModelCommand({
        ModelName: name,
        PrimaryContainer: {
          Image: source.model.image,
          ModelDataUrl: `s3://${from.bucket}/${key}`,
          Environment: source.model.environment,
        },
        ExecutionRoleArn: source.model.executionRoleArn,
        Tags: [{ Key: 'berth:source-deployment', Value: source.deployment }],
        ...(source.model.vpcConfig ? { VpcConfig: source.model.vpcConfig } : {}),
      }),
    );
  } catch (error) {
    throw awsError(error, `Could not create the model ${name} for the endpoint '${endpoint}'`);
  }
  return name;
}

export async function updateEndpointTraffic(
  clients: AwsClients,
  name: string,
  config: SageMakerConfig,
  options: OperationOptions,
): Promise<SageMakerEndpoint> {
  if (config.traffic === undefined && config.capacity === undefined) {
    throw BerthError.invalidParameterValue(
      `update-endpoint needs -C traffic='{"<variant>":90,"<other>":10}' and/or -C capacity='{"<variant>":2}'.`,
    );
  }
  const endpoint = await describeEndpoint(clients, name);
  if (endpoint === undefined) throw missingEndpoint(clients, name);
  const variants = (endpoint.ProductionVariants ?? []).map((variant) => variant.VariantName as string);
  const unknown = [...Object.keys(config.traffic ?? {}), ...Object.keys(config.capacity ?? {})].filter(
    (variant) => !variants.includes(variant),
  );
  if (unknown.length > 0) {
    throw BerthError.invalidParameterValue(
      `The endpoint '${name}' has no variant ${[...new Set(unknown)]
        .map((variant) => {
          const near = closestMatch(variant, variants);
          return near ? `'${variant}' (did you mean '${near}'?)` : `'${variant}'`;
        })
        .join(', ')}; its variants are ${variants.join(', ')}.`,
      { suggestions: ['Add a model as a new variant first: berth update … -C mode=add (it starts with weight 0).'] },
    );
  }
  if (endpoint.EndpointStatus !== 'InService') {
    throw new BerthError(
      `The endpoint '${name}' is ${endpoint.EndpointStatus}; weights can change when it is InService.`,
      {
        code: 'RESOURCE_CONFLICT',
      },
    );
  }
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.UpdateEndpointWeightsAndCapacitiesCommand({
        EndpointName: name,
        DesiredWeightsAndCapacities: variants.map((variant) => ({
          VariantName: variant,
          // The traffic map is the whole split: variants it leaves out get no traffic.
          ...(config.traffic ? { DesiredWeight: config.traffic[variant] ?? 0 } : {}),
          ...(config.capacity?.[variant] === undefined ? {} : { DesiredInstanceCount: config.capacity[variant] }),
        })),
      }),
    );
  } catch (error) {
    throw awsError(error, `Could not change the weights of the endpoint '${name}'`);
  }
  if (config.synchronous) {
    await waitInService(clients, name, config, options, `Updating the weights of '${name}'`, 'updating');
  }
  const updated = await describeEndpoint(clients, name);
  if (updated === undefined) throw missingEndpoint(clients, name);
  return endpointView(await describeDeployment(clients, updated));
}

async function waitInService(
  clients: AwsClients,
  name: string,
  config: SageMakerConfig,
  options: OperationOptions,
  label: string,
  verb: string,
): Promise<void> {
  const status = await awaitCompletion(
    async (): Promise<OperationStatus> => {
      const endpoint = await describeEndpoint(clients, name);
      const state = endpoint?.EndpointStatus ?? 'Creating';
      if (state === 'InService') return { state: 'succeeded', message: 'InService', backendState: state };
      if (state === 'Failed' || state === 'OutOfService') {
        return { state: 'failed', message: endpoint?.FailureReason ?? state, backendState: state };
      }
      return { state: 'in progress', message: state, backendState: state };
    },
    {
      timeoutSeconds: config.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS.endpoint,
      label,
      interruptHint: `SageMaker goes on ${verb} '${name}'; check it with \`berth get-endpoint -t sagemaker --endpoint ${name}\`.`,
      ...options,
    },
  );
  if (status.state !== 'succeeded') throw operationError('endpoint', status);
}

function missingEndpoint(clients: AwsClients, name: string): BerthError {
  return new BerthError(`There is no SageMaker endpoint '${name}' in ${clients.region}.`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ['`berth list-endpoints -t sagemaker` shows the endpoints.'],
  });
}

/**
 * Deletes an endpoint made by createEndpoint with its config, model copies and their artifacts.
 * A deployment's endpoint is refused: `berth delete` is the way to remove a deployment.
 */
export async function deleteComposedEndpoint(
  clients: AwsClients,
  name: string,
  config: SageMakerConfig,
  options: OperationOptions,
): Promise<void> {
  const endpoint = await describeEndpoint(clients, name);
  if (endpoint === undefined) return;
  const tags = endpoint.EndpointArn ? await endpointTags(clients, endpoint.EndpointArn) : {};
  if ((tags as Record<string, string>)[ENDPOINT_KIND_TAG] !== 'endpoint') {
    throw BerthError.invalidParameterValue(
      `'${name}' is a deployment, not an endpoint made by create-endpoint; delete-endpoint leaves deployments alone.`,
      { suggestions: [`Delete the deployment: berth delete -t sagemaker --name ${name}`] },
    );
  }
  await deleteDeploymentFlow(clients, name, { ...config, archive: false, synchronous: true }, options);
}

/** Every endpoint with its variants (DescribeEndpoint + DescribeEndpointConfig each, a few at a time). */
export async function describeEndpoints(clients: AwsClients, names: string[]): Promise<SageMakerEndpoint[]> {
  const results: SageMakerEndpoint[] = [];
  const queue = [...names];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const endpoint: EndpointDescription | undefined = await describeEndpoint(clients, next);
      if (endpoint !== undefined) results.push(endpointView(await describeDeployment(clients, endpoint)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, names.length) }, worker));
  return names.flatMap((name) => results.filter((result) => result.name === name));
}
