import { BerthError, listTargets as discoverTargets, pluginsDirectory } from '@berth/core';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import {
  absoluteSpec,
  ensurePluginFolder,
  type InstalledPackage,
  installedPackage,
  pluginDependencies,
  runNpm,
} from '../plugin-folder.js';
import { formatTable } from '../text-table.js';

const TARGET_COLUMNS = ['name', 'package', 'version', 'source', 'uri', 'summary'];

/** `berth targets`: what is installed and where it was found. Reads package.json files only. */
export async function listTargets(options: JsonOption): Promise<void> {
  const { targets, warnings } = await discoverTargets();
  if (options.json) return printJson({ targets, warnings });
  for (const warning of warnings) process.stderr.write(`Warning: ${warning}\n`);
  if (targets.length === 0) {
    return printLine('No deployment targets are installed. Add one with: berth targets add <package>');
  }
  const rows = targets.map((target) => ({ ...target, package: target.packageName }));
  await printLine(formatTable(rows, TARGET_COLUMNS));
}

export async function addTarget(spec: string, options: JsonOption): Promise<void> {
  const directory = pluginsDirectory();
  await ensurePluginFolder(directory);
  const before = await pluginDependencies(directory);
  await runNpm(['install', absoluteSpec(spec)], directory);
  const after = await pluginDependencies(directory);
  const changed = Object.keys(after).filter((name) => before[name] !== after[name]);
  const added = await Promise.all(changed.map((name) => installedPackage(directory, name)));
  if (options.json) return printJson({ pluginsDirectory: directory, added });
  for (const item of added) await printLine(addedMessage(item, directory));
  if (added.length === 0) await printLine(`Nothing changed in ${directory}: '${spec}' was already installed.`);
}

function addedMessage(item: InstalledPackage, directory: string): string {
  const where = `${item.name}@${item.version} in ${directory}`;
  if (item.targets.length === 0) {
    return `Installed ${where}, but it declares no deployment targets (no "deploymentTargets" in its package.json).`;
  }
  return `Installed ${where}; targets: ${item.targets.join(', ')}`;
}

export async function removeTarget(name: string, options: JsonOption): Promise<void> {
  const directory = pluginsDirectory();
  const installed = await pluginDependencies(directory);
  if (!(name in installed)) {
    const names = Object.keys(installed);
    throw new BerthError(`Package '${name}' is not installed in the plugin folder ${directory}.`, {
      code: 'RESOURCE_DOES_NOT_EXIST',
      suggestions: [
        names.length > 0 ? `Installed there: ${names.join(', ')}.` : 'The plugin folder holds no packages.',
        "Run 'berth targets' to see where each target comes from.",
      ],
    });
  }
  const removed = await installedPackage(directory, name).catch(() => ({ name, version: '', targets: [] }));
  await runNpm(['uninstall', name], directory);
  if (options.json) return printJson({ pluginsDirectory: directory, removed });
  const targets = removed.targets.length > 0 ? ` (targets: ${removed.targets.join(', ')})` : '';
  await printLine(`Removed ${name}${targets} from ${directory}`);
}
