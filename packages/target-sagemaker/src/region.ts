import { DEFAULT_REGION_NAME } from './sagemaker-target-uri.js';
import { configProfile } from './shared-ini.js';

/**
 * The region when the URI and config name none: the AWS SDK's configured region (`AWS_REGION`,
 * then the AWS CLI's `AWS_DEFAULT_REGION`, then `region` of the profile in the shared config file),
 * else MLflow's `us-west-2`. The config file is read here, in a few lines, because the SDK's
 * loaders are internal modules that would cost more to import than `berth list` may take.
 */
export async function resolveRegion(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (explicit) return explicit;
  const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  return (await configProfile(env))?.region || DEFAULT_REGION_NAME;
}
