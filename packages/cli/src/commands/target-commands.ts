import { parseTargetUri } from '@berth/core';
import { runLocal as runTargetLocally, targetHelp } from '@berth/core/registry';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { deploymentConfig, resolveTargetUri, type TargetOptions } from '../target-context.js';
import { UsageError } from '../usage-error.js';

/** `berth help -t <target>`: the target's own help text. Without any target, the berth help. */
export async function showTargetHelp(options: TargetOptions & JsonOption, showBerthHelp: () => void): Promise<void> {
  let targetUri: string;
  try {
    targetUri = await resolveTargetUri(options);
  } catch (error) {
    if (UsageError.isInstance(error)) return showBerthHelp();
    throw error;
  }
  const help = await targetHelp(targetUri);
  if (options.json) return printJson({ target: parseTargetUri(targetUri), help });
  await printLine(String(help));
}

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
