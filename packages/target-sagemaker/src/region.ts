import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_REGION_NAME } from './sagemaker-target-uri.js';

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
  return (await profileRegion(env)) ?? DEFAULT_REGION_NAME;
}

async function profileRegion(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = env.AWS_CONFIG_FILE || path.join(env.HOME || os.homedir(), '.aws', 'config');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const profile = env.AWS_PROFILE || 'default';
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inProfile = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      inProfile = wanted.includes((section[1] as string).replace(/\s+/g, ' '));
      continue;
    }
    const setting = /^region\s*=\s*(\S+)$/.exec(line);
    if (inProfile && setting) return setting[1];
  }
  return undefined;
}
