import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const created: string[] = [];

/** A fresh temp folder (symlinks resolved, so paths compare equal to discovery's realpaths). */
export async function makeTempDirectory(label: string): Promise<string> {
  const directory = await realpath(await mkdtemp(join(tmpdir(), `berth-core-${label}-`)));
  created.push(directory);
  return directory;
}

export async function removeTempDirectories(): Promise<void> {
  await Promise.all(created.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
}

/** Writes `<directory>/package.json` and the given files (paths relative to the package). */
export async function writePackage(
  directory: string,
  manifest: Record<string, unknown>,
  files: Record<string, string> = {},
): Promise<string> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(directory, path)), { recursive: true });
    await writeFile(join(directory, path), text);
  }
  return directory;
}

export async function linkDirectory(target: string, link: string): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  await symlink(target, link, 'dir');
}

/**
 * An ESM target module with its own copy of the client brand, as a target bundling its own
 * `@berth/core` would have. `label` ends up in the client's answers so tests can tell copies apart.
 */
export function targetModuleSource(
  label: string,
  options: { specificationVersion?: string; className?: string } = {},
): string {
  const className = options.className ?? 'FixtureDeploymentClient';
  return `
const BRAND = Symbol.for('berth.deployment-client');
class Base {
  static [BRAND] = true;
  static specificationVersion = ${JSON.stringify(options.specificationVersion ?? 'v1')};
  constructor(targetUri) { this.targetUri = targetUri; }
}
export class ${className} extends Base {
  async createDeployment(name, modelUri, options = {}) { return { name, modelUri, flavor: options.flavor ?? null, label: ${JSON.stringify(label)} }; }
  async updateDeployment(name) { return { name }; }
  async deleteDeployment() {}
  async listDeployments() { return [{ name: ${JSON.stringify(label)} }]; }
  async getDeployment(name) { return { name }; }
  async predict() { return { predictions: [${JSON.stringify(label)}] }; }
}
export async function runLocal() {}
export function targetHelp() { return ${JSON.stringify(`help from ${label}`)}; }
`;
}
