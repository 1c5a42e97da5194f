import { runLocal as runTargetLocally } from '@berth/core/registry';
import type { JsonOption } from '../cli-output.js';
import { deploymentConfig, resolveTargetUri, type TargetOptions } from '../target-context.js';

interface RunLocalOptions extends TargetOptions, JsonOption {
  name: string;
  modelUri: string;
  flavor?: string | undefined;
  config: string[];
}

/** Hands over to the target's runLocal, which serves in the foreground and prints what it does. */
export async function runLocal(options: RunLocalOptions): Promise<void> {
  const targetUri = await resolveTargetUri(options);
  const config = await deploymentConfig(targetUri, options.config);
  await runTargetLocally(targetUri, options.name, options.modelUri, {
    ...(options.flavor !== undefined && { flavor: options.flavor }),
    config,
  });
}
