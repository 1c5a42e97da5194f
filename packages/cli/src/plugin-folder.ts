import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BerthError } from '@berth/core';

/*
 * The plugin folder (`<BERTH_HOME>/plugins`) is a small npm project: `berth targets add` runs
 * `npm install` in it, and core's registry reads its package.json dependencies.
 */

const PLUGIN_FOLDER_MANIFEST = {
  name: 'berth-plugins',
  private: true,
  description: "Deployment targets installed with 'berth targets add'. Managed by berth; edit with care.",
  dependencies: {},
};

// npm_config_* variables inherited from an `npm exec`/`npx` parent could point the install at a
// global prefix instead of the plugin folder.
const LOCATION_VARIABLES = ['npm_config_global', 'npm_config_prefix', 'npm_config_location'];

export async function ensurePluginFolder(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  const manifest = join(directory, 'package.json');
  if (!existsSync(manifest)) await writeFile(manifest, `${JSON.stringify(PLUGIN_FOLDER_MANIFEST, null, 2)}\n`);
}

/** Package name → spec, from the plugin folder's package.json. */
export async function pluginDependencies(directory: string): Promise<Record<string, string>> {
  try {
    const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    return manifest.dependencies ?? {};
  } catch {
    return {};
  }
}

export interface InstalledPackage {
  name: string;
  version: string;
  /** Target names from its `deploymentTargets` field. */
  targets: string[];
}

export async function installedPackage(directory: string, name: string): Promise<InstalledPackage> {
  const manifest = JSON.parse(await readFile(join(directory, 'node_modules', name, 'package.json'), 'utf8')) as {
    version?: string;
    deploymentTargets?: Record<string, unknown>;
  };
  const targets = manifest.deploymentTargets;
  return {
    name,
    version: manifest.version ?? '',
    targets: typeof targets === 'object' && targets !== null ? Object.keys(targets) : [],
  };
}

/** A spec that names something on disk (tarball, folder) is made absolute: npm resolves relative ones from the prefix. */
export function absoluteSpec(spec: string): string {
  const isPath = spec.startsWith('.') || spec.startsWith('/') || spec.endsWith('.tgz') || spec.endsWith('.tar.gz');
  return isPath && existsSync(spec) ? resolve(spec) : spec;
}

/** Runs npm in the plugin folder; its output goes to our stderr so stdout stays clean for --json. */
export async function runNpm(args: string[], directory: string): Promise<void> {
  const environment = { ...process.env };
  for (const variable of LOCATION_VARIABLES) delete environment[variable];
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const command = ['npm', ...args, '--prefix', directory].join(' ');
  const exitCode = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(npm, [...args, '--prefix', directory, '--no-audit', '--no-fund'], {
      cwd: directory,
      env: environment,
      stdio: ['ignore', 2, 2],
      shell: process.platform === 'win32',
    });
    child.on('error', (error) =>
      reject(
        new BerthError(`Could not run npm: ${error.message}`, {
          cause: error,
          suggestions: ['berth targets add/remove needs npm on the PATH (it comes with Node.js).'],
        }),
      ),
    );
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
  if (exitCode !== 0) {
    throw new BerthError(`'${command}' failed with exit code ${exitCode}.`, {
      suggestions: ["npm's output above says why; check the package name or version and your registry access."],
    });
  }
}
