import { BerthError } from '@berth/core';
import { pluginsDirectory } from '@berth/core/registry';
import { type JsonOption, printJson, printLine } from '../cli-output.js';
import {
  absoluteSpec,
  ensurePluginFolder,
  type InstalledPackage,
  installedPackage,
  pluginDependencies,
  runNpm,
} from '../plugin-folder.js';

/**
 * `berth targets add`: npm install into the plugin folder. A target imports @berth/core from its own
 * folder, so npm also installs the core it asks for as a peer dependency (a second copy of core is
 * fine: the registry checks brands, not classes).
 */
export async function addTargets(specs: string[], options: JsonOption): Promise<void> {
  const directory = pluginsDirectory();
  await ensurePluginFolder(directory);
  const before = await pluginDependencies(directory);
  await runNpm(['install', ...specs.map(absoluteSpec)], directory);
  const after = await pluginDependencies(directory);
  const changed = Object.keys(after).filter((name) => before[name] !== after[name]);
  const added = await Promise.all(changed.map((name) => installedPackage(directory, name)));
  if (options.json) return printJson({ pluginsDirectory: directory, added });
  for (const item of added) await printLine(addedMessage(item, directory));
  if (added.length === 0) await printLine(`Nothing changed in ${directory}: already installed.`);
}

function addedMessage(item: InstalledPackage, directory: string): string {
  const where = `${item.name}@${item.version} in ${directory}`;
  if (item.targets.length > 0) return `Installed ${where}; targets: ${item.targets.join(', ')}`;
  if (item.name === '@berth/core') return `Installed ${where} (the core that targets there share)`;
  return `Installed ${where}, but it declares no deployment targets (no "deploymentTargets" in its package.json).`;
}

export async function removeTargets(names: string[], options: JsonOption): Promise<void> {
  const directory = pluginsDirectory();
  const installed = await pluginDependencies(directory);
  const absent = names.filter((name) => !(name in installed));
  if (absent.length > 0) {
    const present = Object.keys(installed);
    throw new BerthError(
      `${absent.map((name) => `Package '${name}'`).join(', ')} ${absent.length === 1 ? 'is' : 'are'} not installed in the plugin folder ${directory}.`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: [
          present.length > 0 ? `Installed there: ${present.join(', ')}.` : 'The plugin folder holds no packages.',
          "Run 'berth targets' to see where each target comes from.",
        ],
      },
    );
  }
  const removed = await Promise.all(
    names.map((name) => installedPackage(directory, name).catch(() => ({ name, version: '', targets: [] }))),
  );
  await runNpm(['uninstall', ...names], directory);
  if (options.json) return printJson({ pluginsDirectory: directory, removed });
  for (const item of removed) {
    const targets = item.targets.length > 0 ? ` (targets: ${item.targets.join(', ')})` : '';
    await printLine(`Removed ${item.name}${targets} from ${directory}`);
  }
}
