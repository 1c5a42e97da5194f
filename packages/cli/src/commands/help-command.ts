import { parseTargetUri } from '@berth/core';
import { UsageError } from '@berth/core/internal';
import { targetHelp } from '@berth/core/registry';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import { resolveTargetUri, type TargetOptions } from '../target-context.js';

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
