import type {
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandOutput,
  Tag,
} from '@aws-sdk/client-sagemaker';
import type { AwsClients } from './aws-clients.js';
import { awsError, isNotFound } from './aws-errors.js';
import { parseS3Url } from './model-upload.js';

/**
 * The SageMaker calls the flows share: describe (undefined when missing), and the removal of a
 * model with its S3 artifact. Removals of things already gone succeed, so a cleanup that is run
 * twice, or after a half-finished one, finishes the job instead of failing.
 */

export type EndpointDescription = Omit<DescribeEndpointCommandOutput, '$metadata'>;
export type EndpointConfigDescription = Omit<DescribeEndpointConfigCommandOutput, '$metadata'>;

export async function describeEndpoint(clients: AwsClients, name: string): Promise<EndpointDescription | undefined> {
  const { client, sdk } = await clients.sagemaker();
  try {
    const { $metadata: _, ...answer } = await client.send(new sdk.DescribeEndpointCommand({ EndpointName: name }));
    return answer;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw awsError(error, `Could not describe the SageMaker endpoint '${name}'`);
  }
}

export async function describeEndpointConfig(
  clients: AwsClients,
  name: string,
): Promise<EndpointConfigDescription | undefined> {
  const { client, sdk } = await clients.sagemaker();
  try {
    const { $metadata: _, ...answer } = await client.send(
      new sdk.DescribeEndpointConfigCommand({ EndpointConfigName: name }),
    );
    return answer;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw awsError(error, `Could not describe the SageMaker endpoint config '${name}'`);
  }
}

export async function endpointTags(clients: AwsClients, arn: string): Promise<Record<string, string>> {
  const { client, sdk } = await clients.sagemaker();
  const tags: Record<string, string> = {};
  let token: string | undefined;
  try {
    do {
      const page = await client.send(new sdk.ListTagsCommand({ ResourceArn: arn, NextToken: token, MaxResults: 100 }));
      for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
      token = page.NextToken;
    } while (token);
  } catch (error) {
    if (isNotFound(error)) return tags;
    throw awsError(error, `Could not list the tags of ${arn}`);
  }
  return tags;
}

export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** MLflow's cleanup of a replaced or deleted variant: its S3 artifact, then the model itself. */
export async function deleteModelAndArtifact(clients: AwsClients, modelName: string): Promise<string[]> {
  const { client, sdk } = await clients.sagemaker();
  const removed: string[] = [];
  let dataUrl: string | undefined;
  try {
    const model = await client.send(new sdk.DescribeModelCommand({ ModelName: modelName }));
    dataUrl = model.PrimaryContainer?.ModelDataUrl ?? model.Containers?.[0]?.ModelDataUrl;
  } catch (error) {
    if (isNotFound(error)) return removed;
    throw awsError(error, `Could not describe the SageMaker model '${modelName}'`);
  }
  if (dataUrl !== undefined) removed.push(...(await deleteArtifact(clients, dataUrl)));
  try {
    await client.send(new sdk.DeleteModelCommand({ ModelName: modelName }));
    removed.push(`model ${modelName}`);
  } catch (error) {
    if (!isNotFound(error)) throw awsError(error, `Could not delete the SageMaker model '${modelName}'`);
  }
  return removed;
}

/** An uploaded model.tar.gz (an s3:// URL; anything else is left alone). */
export async function deleteArtifact(clients: AwsClients, dataUrl: string): Promise<string[]> {
  const location = parseS3Url(dataUrl);
  if (location === undefined) return [];
  const s3 = await clients.s3();
  try {
    await s3.client.send(new s3.sdk.DeleteObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return [`s3://${location.bucket}/${location.key}`];
  } catch (error) {
    if (isNotFound(error)) return [];
    throw awsError(error, `Could not delete the model artifact ${dataUrl}`);
  }
}

export async function deleteEndpointConfig(clients: AwsClients, name: string): Promise<string[]> {
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(new sdk.DeleteEndpointConfigCommand({ EndpointConfigName: name }));
    return [`endpoint config ${name}`];
  } catch (error) {
    if (isNotFound(error)) return [];
    throw awsError(error, `Could not delete the SageMaker endpoint config '${name}'`);
  }
}

/** The invoke URL of an endpoint (what `url` shows): the runtime endpoint the SDK would call. */
export function invokeUrl(region: string, name: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME || env.AWS_ENDPOINT_URL;
  const base = configured
    ? configured.replace(/\/+$/, '')
    : `https://runtime.sagemaker.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
  return `${base}/endpoints/${encodeURIComponent(name)}/invocations`;
}
