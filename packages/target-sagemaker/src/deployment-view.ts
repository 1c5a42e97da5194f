import type { Deployment, Endpoint } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { awsError } from './aws-errors.js';
import { FLAVOR_TAG, MODEL_URI_TAG } from './resource-tags.js';
import {
  describeEndpointConfig,
  type EndpointConfigDescription,
  type EndpointDescription,
  endpointTags,
  invokeUrl,
} from './sagemaker-resources.js';

/**
 * SageMaker's answers as Berth's typed results: every item has `name`, `state` (SageMaker's
 * EndpointStatus) and `url` (the invoke URL), dates are ISO strings, and nothing carries the SDK's
 * `$metadata` (MLflow returns the raw boto3 dict with `ResponseMetadata` and no `name`).
 */

export interface SageMakerVariant {
  name: string;
  modelName?: string;
  /** The weight SageMaker routes by now, and the one it is moving to. */
  weight?: number;
  desiredWeight?: number;
  instanceType?: string;
  instanceCount?: number;
  desiredInstanceCount?: number;
  serverless?: Record<string, unknown>;
  images?: string[];
}

export interface SageMakerDeployment extends Deployment {
  name: string;
  state: string;
  url: string;
  region: string;
  arn?: string;
  endpointConfigName?: string;
  createdAt?: string;
  lastModifiedAt?: string;
  failureReason?: string;
  variants?: SageMakerVariant[];
  dataCaptureConfig?: Record<string, unknown>;
  asyncInferenceConfig?: Record<string, unknown>;
  explainerConfig?: Record<string, unknown>;
  /** A blue/green update in progress. */
  pendingDeployment?: Record<string, unknown>;
  lastDeploymentConfig?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface SageMakerEndpoint extends Endpoint {
  name: string;
  state: string;
  url: string;
  /** Variant → current weight. */
  traffic: Record<string, number>;
  variants: SageMakerVariant[];
}

/** What ListEndpoints gives per endpoint: enough for `berth list`, no further call. */
export interface EndpointSummary {
  EndpointName?: string;
  EndpointArn?: string;
  EndpointStatus?: string;
  CreationTime?: Date | number | string;
  LastModifiedTime?: Date | number | string;
}

export function isoDate(value: Date | number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // The JSON protocol sends epoch seconds; the SDK turns them into Dates.
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value * 1000 : value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function summaryView(region: string, summary: EndpointSummary): SageMakerDeployment {
  const name = summary.EndpointName ?? '';
  const view: SageMakerDeployment = {
    name,
    state: summary.EndpointStatus ?? 'unknown',
    url: invokeUrl(region, name),
    region,
  };
  if (summary.EndpointArn) view.arn = summary.EndpointArn;
  const created = isoDate(summary.CreationTime);
  if (created) view.createdAt = created;
  const modified = isoDate(summary.LastModifiedTime);
  if (modified) view.lastModifiedAt = modified;
  return view;
}

/** Every endpoint, all pages (MLflow reads one page of ListEndpoints). */
export async function listEndpointSummaries(clients: AwsClients): Promise<EndpointSummary[]> {
  const { client, sdk } = await clients.sagemaker();
  const summaries: EndpointSummary[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await client.send(
        new sdk.ListEndpointsCommand({
          MaxResults: 100,
          NextToken: token,
          SortBy: 'CreationTime',
          SortOrder: 'Ascending',
        }),
      );
      summaries.push(...(page.Endpoints ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw awsError(error, 'Could not list the SageMaker endpoints');
  }
  return summaries;
}

export function variantsOf(
  endpoint: EndpointDescription,
  config: EndpointConfigDescription | undefined,
): SageMakerVariant[] {
  const configured = config?.ProductionVariants ?? [];
  const live = endpoint.ProductionVariants ?? [];
  const names = [...new Set([...live.map((variant) => variant.VariantName), ...configured.map((v) => v.VariantName)])];
  return names
    .filter((name): name is string => typeof name === 'string')
    .map((name) => {
      const now = live.find((variant) => variant.VariantName === name);
      const planned = configured.find((variant) => variant.VariantName === name);
      const variant: SageMakerVariant = { name };
      if (planned?.ModelName) variant.modelName = planned.ModelName;
      const weight = now?.CurrentWeight ?? planned?.InitialVariantWeight;
      if (weight !== undefined) variant.weight = weight;
      if (now?.DesiredWeight !== undefined) variant.desiredWeight = now.DesiredWeight;
      if (planned?.InstanceType) variant.instanceType = planned.InstanceType;
      const count = now?.CurrentInstanceCount ?? planned?.InitialInstanceCount;
      if (count !== undefined) variant.instanceCount = count;
      if (now?.DesiredInstanceCount !== undefined) variant.desiredInstanceCount = now.DesiredInstanceCount;
      const serverless = now?.CurrentServerlessConfig ?? planned?.ServerlessConfig;
      if (serverless) variant.serverless = { ...serverless };
      const images = (now?.DeployedImages ?? []).map((image) => image.ResolvedImage ?? image.SpecifiedImage);
      if (images.some(Boolean)) variant.images = images.filter((image): image is string => Boolean(image));
      return variant;
    });
}

/** DescribeEndpoint + its endpoint config + its tags (in parallel), as one typed Deployment. */
export async function describeDeployment(
  clients: AwsClients,
  endpoint: EndpointDescription,
): Promise<SageMakerDeployment> {
  const [config, tags] = await Promise.all([
    endpoint.EndpointConfigName ? describeEndpointConfig(clients, endpoint.EndpointConfigName) : undefined,
    endpoint.EndpointArn ? endpointTags(clients, endpoint.EndpointArn) : ({} as Record<string, string>),
  ]);
  const view = summaryView(clients.region, endpoint);
  if (endpoint.EndpointConfigName) view.endpointConfigName = endpoint.EndpointConfigName;
  if (endpoint.FailureReason) view.failureReason = endpoint.FailureReason;
  if (tags[FLAVOR_TAG]) view.flavor = tags[FLAVOR_TAG];
  if (tags[MODEL_URI_TAG]) view.modelUri = tags[MODEL_URI_TAG];
  view.variants = variantsOf(endpoint, config);
  const capture = endpoint.DataCaptureConfig ?? config?.DataCaptureConfig;
  if (capture) view.dataCaptureConfig = { ...capture };
  if (config?.AsyncInferenceConfig) view.asyncInferenceConfig = { ...config.AsyncInferenceConfig };
  if (config?.ExplainerConfig) view.explainerConfig = { ...config.ExplainerConfig };
  if (endpoint.PendingDeploymentSummary) view.pendingDeployment = { ...endpoint.PendingDeploymentSummary };
  if (endpoint.LastDeploymentConfig) view.lastDeploymentConfig = { ...endpoint.LastDeploymentConfig };
  if (Object.keys(tags).length > 0) view.tags = tags;
  return view;
}

export function endpointView(deployment: SageMakerDeployment): SageMakerEndpoint {
  const variants = deployment.variants ?? [];
  return {
    ...deployment,
    variants,
    traffic: Object.fromEntries(variants.map((variant) => [variant.name, variant.weight ?? 0])),
  };
}
